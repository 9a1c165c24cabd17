"""Fitting the voice reader (models/voice_reader.py): ridge regression of valence on pooled Whisper states.

Windows: RAVDESS speech, EmoDB and GRID (neutral English speech) clips joined into one stream per speaker and label
(``stream_groups``), each stream read by ``VoiceStates`` and the VAD exactly as the monitor reads a stream, cut into
the monitor's windows (4 s every 1 s), each pooled over the states heard while someone speaks: the reader is fitted
on what the monitor reads (fitted on whole clips with their silences, it read three happy clips of a held-out actor
at +1.5 / -0.4 / +0.2 and the monitor's windows over the same clips joined down to -2.8). Splits are the corpora's
speaker-independent ones (datasets/items.py): the ridge strength is chosen on the validation speakers, the shipped
reader is fitted on the training speakers with it (training/voice_tuning.ridge_reader; the evaluations here refit on
train + validation), and the test speakers are scored once. Windows count by their
label confidence (EmoDB's listener agreement, RAVDESS calm 0.75, surprise 0.5), and the positive, neutral and
negative sides each count as much in total: acted corpora hold five negative emotions to one positive, and fitted as
they come the reader would read every voice negative (models/voice_reader.md gives the figures).

Scores, per window: ROC AUC of positive (happiness) vs negative (anger, sadness, fear, disgust, boredom), MAE, and
the mean reading per emotion, both as read ("global") and relative to the speaker's mean reading ("speaker": the
offline counterpart of the monitor's running voice baseline). Cross-corpus: fitted on one corpus, scored on every
window of the other. A reader fitted on train + validation speakers also carries its typicality (how like its
training windows a window sounds, models/typicality.py): directions from all of them, its scale from the
validation speakers under directions fitted on the training speakers alone; a reader fitted on the training
speakers takes its scale from the validation speakers named beside them (``fit(..., held_out=...)``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.datasets.items import PoolItem
from streammsa.features.timed import TimedFeatures
from streammsa.features.voice_states import VoiceStates
from streammsa.models.typicality import Typicality
from streammsa.models.voice_reader import VoiceReader
from streammsa.training.evaluation.scoring import roc_auc
from streammsa.training.ridge_reader import balanced_weights, fit_ridge

CORPORA = ("ravdess", "emodb", "grid")
POSITIVE = ("happiness",)
NEGATIVE = ("anger", "sadness", "fear", "disgust", "boredom")
ALPHAS = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0)


def voice_items(data_root: Path) -> list[PoolItem]:
    """Every audio clip of the voice reader's corpora (``CORPORA``), corpus after corpus."""
    from streammsa.datasets.items import list_items

    return [it for c in CORPORA for it in list_items(data_root, corpora=[c], modalities=["audio"])]


def reader_cache_dir(feature_cache: Path) -> Path:
    """Where the voice reader's pooled states are kept: beside the composed dataset's feature cache."""
    return Path(feature_cache).parent / "voice_reader"


def window_cache_path(cache_dir: Path, tag: str = "") -> Path:
    """Where the pooled speech states of the reader's windows are kept, per kind of states (a reader's
    ``CACHE_TAG``)."""
    return Path(cache_dir).expanduser() / f"window-speech-states{tag}.npz"


@dataclass
class Windows:
    """Pooled speech states of labelled windows, one row each."""

    x: np.ndarray  # (N, 768)
    label: np.ndarray  # (N,) valence in [-3, 3]
    weight: np.ndarray  # (N,) label confidence
    emotion: np.ndarray  # (N,) str
    speaker: np.ndarray  # (N,) corpus-qualified identity
    corpus: np.ndarray  # (N,) str
    split: np.ndarray  # (N,) train / valid / test

    def where(self, keep: np.ndarray) -> Windows:
        return Windows(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.label)

    @staticmethod
    def concat(parts: Sequence[Windows]) -> Windows:
        return Windows(*(np.concatenate([getattr(p, f) for p in parts]) for f in Windows.__dataclass_fields__))


def stream_groups(items: Sequence[PoolItem]) -> dict[str, list[PoolItem]]:
    """Clips joined into one stream per speaker and label (RAVDESS: actor, emotion and intensity; EmoDB: speaker
    and emotion; GRID: talker), in name order: a steady voice as the monitor hears it, clip after clip."""
    groups: dict[str, list[PoolItem]] = {}
    for it in sorted(items, key=lambda it: it.key):
        groups.setdefault(f"{it.group}|{it.emotion}|{it.label:g}", []).append(it)
    return groups


def read_streams(
    streams: dict[str, list[str]],
    cache: Path,
    window_s: float | None = 4.0,
    hop_s: float = 1.0,
    log: Callable[[str], None] = print,
    states: Callable[[], VoiceStates] = VoiceStates,
) -> dict[str, np.ndarray]:
    """Each stream (its files joined) read by ``states()`` (the monitor's ``VoiceStates`` unless given) and the VAD
    exactly as the monitor reads a stream, cut into windows (``window_s`` every ``hop_s``; None: the whole stream as
    one), each pooled over its speech states: (windows with enough speech, twice the states' width) per stream,
    cached by stream name in ``cache`` (one cache per kind of states; ``states()`` is made only for streams not in
    it)."""
    from streammsa.features.audio import decode_audio_file
    from streammsa.features.voice_activity import VoiceActivity
    from streammsa.features.voice_states import pooled

    stored: dict[str, np.ndarray] = {}
    if cache.is_file():
        with np.load(cache) as z:
            stored = {k: z[k] for k in z.files}
    missing = [g for g in streams if g not in stored]
    if missing:
        encoder, vad, t0 = states(), VoiceActivity(), time.perf_counter()
        for n, g in enumerate(missing):
            audio = np.concatenate([decode_audio_file(path) for path in streams[g]])
            heard = heard_windows(encoder.extract(audio), vad.detect(audio), len(audio) / SAMPLE_RATE, window_s, hop_s)
            stored[g] = np.asarray([pooled(h) for h in heard], np.float32).reshape(-1, 2 * encoder.dim)
            if (n + 1) % 100 == 0:
                log(f"  voice streams: {n + 1}/{len(missing)} ({time.perf_counter() - t0:.0f} s)")
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **stored)
    return {g: stored[g] for g in streams}


def heard_windows(
    states: TimedFeatures, speech: TimedFeatures, end: float, window_s: float | None = 4.0, hop_s: float = 1.0
) -> list[np.ndarray]:
    """The states heard while someone speaks (``speech``: the VAD's probabilities) in each window of a stream
    (``window_s`` every ``hop_s`` up to ``end`` seconds; None: the whole stream as one), windows with too little
    speech left out: what the monitor's voice reading pools."""
    from streammsa.engine.evidence import EvidenceConfig
    from streammsa.features.voice_states import speech_states
    from streammsa.models.voice_reader import MIN_STATES

    threshold = EvidenceConfig().speech_threshold
    s, v = states, speech
    spans = (
        [(0.0, end)]
        if window_s is None
        else [(t, t + window_s) for t in np.arange(0.0, max(end - window_s, 0.0) + 1e-9, hop_s)]
    )
    out = []
    for a, b in spans:
        sel, vsel = (s.times >= a) & (s.times < b), (v.times >= a) & (v.times < b)
        heard = speech_states(s.times[sel], s.values[sel], v.times[vsel], v.values[vsel, 0], threshold)
        if len(heard) >= MIN_STATES:
            out.append(heard)
    return out


def window_rows(
    items: Sequence[PoolItem],
    cache: Path,
    log: Callable[[str], None] = print,
    states: Callable[[], VoiceStates] = VoiceStates,
) -> Windows:
    """The monitor's windows (4 s every 1 s) over every stream of ``stream_groups``, labelled by their group."""
    groups = stream_groups(items)
    stored = read_streams({g: [it.path for it in its] for g, its in groups.items()}, cache, log=log, states=states)
    return Windows.concat([group_windows(its, stored[g]) for g, its in groups.items()])


def group_windows(its: Sequence[PoolItem], x: np.ndarray) -> Windows:
    """Rows ``x`` of one stream's windows, labelled by its group (``stream_groups``: one speaker and label)."""
    first, n = its[0], len(x)
    return Windows(
        x=np.asarray(x, np.float64),
        label=np.full(n, first.label),
        weight=np.full(n, float(np.mean([it.confidence for it in its]))),
        emotion=np.full(n, first.emotion or "", dtype=object),
        speaker=np.full(n, first.group, dtype=object),
        corpus=np.full(n, first.corpus, dtype=object),
        split=np.full(n, first.split, dtype=object),
    )


def clip_readings(reader: VoiceReader, items: Sequence[PoolItem], cache: Path) -> dict[str, float]:
    """The reader's reading of each whole clip (pooled over its speech; NaN with too little), by clip key."""
    name = {it.key: it.key.replace("/", "|") for it in items}  # (a cache entry's name cannot hold "/")
    rows = read_streams({name[it.key]: [it.path] for it in items}, cache, window_s=None, states=reader.states)
    return {k: float(reader.read_pooled(rows[n])[0]) if len(rows[n]) else float("nan") for k, n in name.items()}


def speaker_typicality(reader: VoiceReader, rows: Windows) -> dict[str, float]:
    """Each speaker's mean typicality over their windows: what the monitor's running mean of it settles at for a
    speaker heard for a while (``VoiceBaseline.typicality``)."""
    t = reader.typicality_pooled(rows.x)
    return {s: float(t[rows.speaker == s].mean()) for s in sorted(set(rows.speaker.tolist()))}


def balanced(rows: Windows) -> Windows:
    """The windows with their weights rescaled so that the positive, neutral and negative sides sum to the same."""
    return dataclasses.replace(rows, weight=balanced_weights(rows.label, rows.weight))


def fit(
    rows: Windows,
    alpha: float,
    meta: dict[str, Any] | None = None,
    kind: type[VoiceReader] = VoiceReader,
    held_out: Windows | None = None,
) -> VoiceReader:
    """Ridge on standardised features, sides balanced (training/ridge_reader.py): r = w . (v - mu) / sigma + b;
    with its typicality (models/typicality.py) where ``rows`` hold train and validation speakers, or where
    ``held_out`` gives speakers the fit did not see (its range then comes from their windows)."""
    mu, sigma, w, b = fit_ridge(rows.x, rows.label, rows.weight, alpha)
    reader = kind(mu, sigma, w, b, meta or {})
    # the rows are in the ridge's own feature space (a reader of some layers' columns gets them already chosen)
    z = (rows.x - mu) / sigma
    if held_out is not None:
        reader.typicality = Typicality.fit(z, z, (held_out.x - mu) / sigma)
    elif (train := rows.split == "train").any() and (valid := rows.split == "valid").any():
        reader.typicality = Typicality.fit(z, z[train], z[valid])
    return reader


def speaker_relative(r: np.ndarray, speaker: np.ndarray) -> np.ndarray:
    """Each reading minus its speaker's mean reading."""
    out = r.astype(np.float64).copy()
    for s in np.unique(speaker):
        out[speaker == s] -= r[speaker == s].mean()
    return out


@dataclass
class Scores:
    windows: int
    auroc: float | None  # positive vs negative emotions
    auroc_speaker: float | None  # the same, each reading relative to its speaker's mean
    mae: float
    neutral_mean: float | None
    neutral_std: float | None
    per_emotion: dict[str, float] = field(default_factory=dict)
    typicality: float = 1.0  # mean typicality of the windows (models/typicality.py): how familiar they sound

    def line(self) -> str:
        f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        return (
            f"AUROC {f(self.auroc)} (speaker-relative {f(self.auroc_speaker)}), MAE {self.mae:.3f}, "
            f"neutral {f(self.neutral_mean)} +- {f(self.neutral_std)}, typicality {self.typicality:.2f} "
            f"({self.windows} windows)"
        )


def score(reader: VoiceReader, rows: Windows) -> Scores:
    r = reader.read_pooled(rows.x)
    pos, neg = np.isin(rows.emotion, POSITIVE), np.isin(rows.emotion, NEGATIVE)
    polar = pos | neg
    rel = speaker_relative(r, rows.speaker)
    neutral = rows.emotion == "neutral"
    return Scores(
        windows=len(rows),
        auroc=roc_auc(r[polar], pos[polar]),
        auroc_speaker=roc_auc(rel[polar], pos[polar]),
        mae=float(np.average(np.abs(r - rows.label), weights=rows.weight)),
        neutral_mean=float(r[neutral].mean()) if neutral.any() else None,
        neutral_std=float(r[neutral].std()) if neutral.any() else None,
        per_emotion={e: float(r[rows.emotion == e].mean()) for e in sorted(set(rows.emotion.tolist()))},
        typicality=float(reader.typicality_pooled(rows.x).mean()),
    )


def speaker_aurocs(reader: VoiceReader, rows: Windows) -> dict[str, float]:
    """Positive vs negative ROC AUC within each speaker's windows (speakers with both sides)."""
    r = reader.read_pooled(rows.x)
    pos, neg = np.isin(rows.emotion, POSITIVE), np.isin(rows.emotion, NEGATIVE)
    out = {}
    for s in sorted(set(rows.speaker.tolist())):
        sel = (rows.speaker == s) & (pos | neg)
        if (auc := roc_auc(r[sel], pos[sel])) is not None:
            out[s] = auc
    return out


def choose_alpha(train: Windows, valid: Windows, alphas: Sequence[float] = ALPHAS) -> tuple[float, dict[float, float]]:
    """The ridge strength with the lowest validation MAE, sides balanced as in the fit (and every candidate's)."""
    maes = {a: score(fit(train, a), balanced(valid)).mae for a in alphas}
    return min(maes, key=maes.__getitem__), maes
