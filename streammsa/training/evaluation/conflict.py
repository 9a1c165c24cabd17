"""Does the product's conflict signal find and name real disagreement? (issue #11)

The signal is the one the monitor shows and alerts on: every window becomes the Reading the monitor
builds (``engine/alert_calibration.window_readings`` -> ``engine/readings.build_reading``: clamped
per-modality readings, their confidences, the disagreement D and d_m of ``engine/disagreement.py`` with a
polarity calibration fitted on the validation split), and its score is D. Measured on held-out composed
windows (the test split; the validation split only fits the polarity calibration and the thresholds):

* ``composed``: ROC AUC of the score for the known cross-modal disagreement of ``composition/SPLIT.csv``
  (a present modality labelled positive and another negative), over windows with >= 2 modalities;
  CACR's C_m and the spread of the heads, the old signals, beside it;
* ``naming``: windows with all three present where one modality's label polarity is opposite to the
  other two, which agree: how often the odd one out (largest d_m) is that modality (also by the odd modality,
  and by the labels' strength: a label in [0.5, 1), such as a calm voice, is a weak polarity);
* ``signal_one_label_reading``: the same with one modality at a time read by its label, the others as the
  monitor reads them: which modality's reading limits the signal, and how far a perfect reading of it would go;
* ``ravdess_statements``: real conflict, ``ravdess_statement`` windows (a held-out actor's voice with
  the neutral sentence that actor spoke): ROC AUC of the score for a clearly emotional voice
  (|valence| >= 0.5: happiness, sadness, anger, fear, disgust) against a neutral or calm one;
  surprise (no polarity) is left out;
* ``alerts``: thresholds fitted on validation at a per-window false-alarm rate, test scored once
  (``engine/alert_calibration.calibrate``, the record ``scripts/calibrate_alerts.py`` stores);
* ``fusion``: the fused reading against late fusion (the fixed label rule over the same model's heads,
  and any other checkpoints given) on the test windows: MAE, Acc2, polarity ROC AUC.

Confidence. Composed windows have no VAD track and no record of analysed frames, so the monitor's own
fallback applies (``engine/windowing.slice_window``: no track -> confidence unknown -> counted as 1),
except for the words, whose rule needs no track: ``evidence`` = text min(1, tokens / 6), voice its
speaker's typicality (how like the voice reader's training windows the speaker sounds: the mean over the monitor's
windows of a stream of their speech, ``models/typicality.py``, where the monitor's running mean settles), face 1
(used for the headline and the thresholds). ``speech_seconds`` also reads the voice's evidence rule as if every
audio frame of the window were speech (seconds / 2, none below 0.3 s), times the typicality, and ``presence``
counts every present modality as 1. The voice is read as the monitor shows it once its speaker has been
heard for a while (``engine/voice_baseline.py``): minus that speaker's mean voice reading, here over the
split's windows with that speaker's voice (``speaker_relative``); its familiarity (the confidence of a voice
heard only briefly) is not applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streammsa import MODALITIES
from streammsa.datasets.labels import EMOTIONS
from streammsa.engine.alert_calibration import WindowOutputs, calibrate, conflict_signal, fit_polarity
from streammsa.engine.evidence import EvidenceConfig, speech_confidence, text_confidence
from streammsa.engine.polarity_calibration import PolarityCalibration
from streammsa.engine.readings import pieces_reading
from streammsa.errors import InputError
from streammsa.training.dataset import Sample, load_split
from streammsa.training.evaluation.forward import composed_windows, labels_of, run_model
from streammsa.training.evaluation.readers import reading_sources, shown_sources
from streammsa.training.evaluation.scoring import polarity_auroc, roc_auc, scores
from streammsa.training.evaluation.window_words import window_pieces

POLARITY_BAND = 0.5  # the composed dataset's polarity bins (compose.py)
CLEAR_BAND = 1.0  # MOSI's "weakly" anchor: labels in [0.5, 1) (e.g. a calm voice, +0.6 / +0.9) are weak polarities
EMOTIONAL = ("happiness", "sadness", "anger", "fear", "disgust")  # |valence| >= 0.5 (datasets/labels.py)
CALM = ("neutral", "calm")
CONFIDENCE_RULES = ("evidence", "speech_seconds", "presence")
HEADLINE_RULE = "evidence"
RULE_TEXT = {
    "evidence": "text min(1, tokens/6) (the monitor's rule); voice its speaker's typicality to the voice reader "
    "(mean over the monitor's windows of the speaker's speech; no VAD track); face 1 (no face-check track)",
    "speech_seconds": "text min(1, tokens/6); voice seconds of audio / 2 (all frames taken as speech) x typicality; "
    "face 1",
    "presence": "1 for every present modality",
}


@dataclass
class SplitWindows:
    """One split's windows: the model's outputs (``WindowOutputs``) and what the targets need."""

    out: WindowOutputs  # intensity, modality, conflict, present, label, conflict_flag, kind
    modality_labels: np.ndarray  # (N, 3), NaN where absent
    emotion: np.ndarray  # (N,) EMOTIONS index of the voice in ravdess_statement windows, -1 unknown
    steps: np.ndarray  # (N, 3) tokens / audio frames / video frames
    audio_rate_hz: float
    replay: np.ndarray | None = None  # (N,) "" / "start" / "late_text": how the window imitates replay
    unimodal: np.ndarray | None = None  # (N, 3) readings with only that modality present (a diagnostic)
    voice_typicality: np.ndarray | None = None  # (N,) the voice's speaker's mean typicality (NaN: unread)

    def with_confidence(self, rule: str) -> WindowOutputs:
        c = confidence(self.steps, np.asarray(self.out["present"]), rule, self.audio_rate_hz)
        if self.voice_typicality is not None and rule != "presence":  # as the monitor counts the voice
            j = MODALITIES.index("audio")
            c[:, j] *= np.where(np.isfinite(self.voice_typicality), self.voice_typicality, 1.0)
        return {**self.out, "confidence": c}


def confidence(steps: np.ndarray, present: np.ndarray, rule: str, audio_rate_hz: float) -> np.ndarray:
    """(N, 3) confidence per window and modality under ``rule`` (NaN where absent)."""
    if rule not in CONFIDENCE_RULES:
        raise InputError(f"unknown confidence rule {rule!r}: use {', '.join(CONFIDENCE_RULES)}")
    cfg = EvidenceConfig()
    c = np.ones(steps.shape, dtype=np.float64)
    if rule != "presence":
        c[:, 0] = [text_confidence(int(n), cfg) for n in steps[:, 0]]
    if rule == "speech_seconds":
        c[:, 1] = [speech_confidence(n / audio_rate_hz, cfg) for n in steps[:, 1]]
    return np.where(present, c, np.nan)


def load_windows(
    model: Any,
    meta: dict[str, Any],
    data: Path,
    split: str,
    unimodal: bool = False,
    text_reader: Any = None,
    voice_reader: Any = None,
    face_reader: Any = None,
    face_shown: bool = False,
) -> SplitWindows:
    """Forward one split of the composed dataset; keep what the conflict targets need. With ``text_reader``
    (models/text_reader.py) each window's text reading is that reader's on the window's words with the start of
    their sentence, as in the monitor; the model's own text head stays in ``out["text_head"]``. With ``voice_reader``
    (models/voice_reader.py) each window's voice reading is that reader's on the speech of the clip its audio was
    cut from (a composed window keeps no audio, only its clip's name; a clip with under 0.5 s of speech keeps the
    model's head, where the monitor would read the whole window); the model's own voice head stays in
    ``out["voice_head"]``. ``face_reader`` (models/face_reader.py) reads each window's face frames; its reading is
    shown (in ``out["modality"]``, the model's face head then in ``out["face_head"]``) only with ``face_shown``, as
    the monitor's ``--face-reader``. Every reader's reading and every head go to ``out["sources"]`` (``"reader"``,
    ``"head"``: (N, 3), NaN where there is none), which the conflict signal's polarity calibration reads."""
    problems = load_split(data, split).spec.compatible_with(meta["spec"])
    if problems:
        raise InputError(f"{data} does not match the checkpoint's features: {problems[:2]}")
    samples, rows = composed_windows(data, split, meta["spec"])
    out = run_model(model, samples)
    readers = {"text": text_reader, "audio": voice_reader, "vision": face_reader}
    present = np.asarray(out["present"], dtype=bool)
    out["modality"] = np.asarray(out["modality"], dtype=np.float64).copy()
    head = np.where(present, out["modality"], np.nan)
    own = np.full(head.shape, np.nan)  # each reader's reading where it read
    for m, reader in readers.items():
        if reader is None:
            continue
        j = MODALITIES.index(m)
        r = READINGS[m](reader, samples, rows, Path(data), meta["spec"])  # NaN where the reader cannot read
        has = present[:, j] & np.isfinite(r)
        own[has, j] = r[has]
        if m != "vision" or face_shown:
            out[HEAD_KEY[m]] = out["modality"][:, j].copy()
            out["modality"][has, j] = r[has]
    # the voice against its speaker's baseline (engine/voice_baseline.py keeps a running mean of the reading shown
    # and of the head); the reader's reading is the one shown wherever it read
    j = MODALITIES.index("audio")
    speakers = [rows[s.id]["audio_group"] for s in samples]
    out["modality"][:, j] = speaker_relative(out["modality"][:, j], present[:, j], speakers)
    head[:, j] = speaker_relative(np.nan_to_num(head[:, j]), present[:, j], speakers)
    own[:, j] = np.where(np.isfinite(own[:, j]), out["modality"][:, j], np.nan)
    out["sources"] = {"reader": own, "head": np.where(present, head, np.nan)}
    out["label"] = labels_of(samples)
    out["modality_labels"] = np.stack([s.modality_labels for s in samples]).astype(np.float64)
    out["conflict_flag"] = np.asarray([rows[s.id]["conflict"] == "1" for s in samples])
    out["kind"] = np.asarray([rows[s.id]["kind"] for s in samples])
    return SplitWindows(
        out=out,
        modality_labels=out["modality_labels"],
        emotion=np.asarray([s.emotion for s in samples], dtype=np.int64),
        steps=np.asarray([[len(s.features[m]) for m in MODALITIES] for s in samples], dtype=np.int64),
        audio_rate_hz=float(meta["spec"]["audio"].rate_hz),
        replay=np.asarray([rows[s.id].get("replay", "") or "" for s in samples]),
        unimodal=unimodal_readings(model, samples, present) if unimodal else None,
        voice_typicality=None
        if voice_reader is None
        else voice_typicality(voice_reader, speakers, present[:, j], Path(data)),
    )


def speaker_relative(readings: np.ndarray, present: np.ndarray, speakers: list[str]) -> np.ndarray:
    """Each present voice reading minus the mean reading of its speaker's windows: the steady state of the
    monitor's running baseline (``engine/voice_baseline.py``) for a speaker heard across the split."""
    out = np.asarray(readings, dtype=np.float64).copy()
    who = np.asarray(speakers)
    for speaker in set(who[present].tolist()):
        sel = present & (who == speaker)
        out[sel] -= out[sel].mean()
    return out


def _manifest(data: Path) -> tuple[Path, Path]:
    """The composed dataset's corpora root and feature cache (its manifest.json)."""
    manifest = json.loads((data / "manifest.json").read_text())
    return Path(manifest["data"]), Path(manifest["cache"])


def text_readings(reader: Any, samples: list[Sample], rows: dict, data: Path, spec: Any) -> np.ndarray:
    """The text reader on each window's words, recovered from its tokens, read as the monitor reads them: with
    the start of the window's first sentence (``window_words.window_pieces``; NaN: no words)."""
    root, cache = _manifest(data)
    pieces = window_pieces(samples, rows, cache, spec, root)
    texts = list(dict.fromkeys(p.text for window in pieces for p in window))
    reading_of = dict(zip(texts, (float(r) for r in reader.read(texts)))) if texts else {}
    return np.asarray([pieces_reading(w, reading_of) if w else np.nan for w in pieces], dtype=np.float64)


def voice_readings(reader: Any, samples: list[Sample], rows: dict, data: Path, spec: Any) -> np.ndarray:
    """The voice reader on the speech of the clip each window's audio was cut from (NaN: too little speech)."""
    root, cache = _manifest(data)
    keys = [rows[s.id]["audio_source"] for s in samples]
    clips = voice_clip_readings(reader, root, cache, set(keys))
    return np.asarray([clips.get(k, np.nan) for k in keys], dtype=np.float64)


def voice_typicality(reader: Any, speakers: list[str], present: np.ndarray, data: Path) -> np.ndarray:
    """(N,) each window's voice counted by its speaker's typicality as the monitor settles at it: the mean over the
    speaker's windows as the monitor cuts a stream of their speech (``voice_speaker_typicality``); NaN where absent."""
    root, cache = _manifest(data)
    of = voice_speaker_typicality(reader, root, cache, {s for s, p in zip(speakers, present) if p})
    return np.asarray([of.get(s, np.nan) if p else np.nan for s, p in zip(speakers, present)], dtype=np.float64)


def face_readings(reader: Any, samples: list[Sample], rows: dict, data: Path, spec: Any) -> np.ndarray:
    """The face reader on each window's face frames, raw as the monitor's cache holds them (NaN: no face)."""
    return reader.read([spec["vision"].denormalise(s.features["vision"]) for s in samples])


READINGS = {"text": text_readings, "audio": voice_readings, "vision": face_readings}


def voice_clip_readings(voice_reader: Any, data_root: Path, feature_cache: Path, keys: set[str]) -> dict[str, float]:
    """The voice reader's reading of the clips ``keys`` (composed windows' audio sources), by clip key."""
    from streammsa.training.voice_reader import clip_readings, reader_cache_dir, voice_items

    items = [it for it in voice_items(data_root) if it.key in keys]
    cache = reader_cache_dir(feature_cache.expanduser()) / f"clip-speech{voice_reader.CACHE_TAG}.npz"
    return clip_readings(voice_reader, items, cache)


def voice_speaker_typicality(
    voice_reader: Any, data_root: Path, feature_cache: Path, speakers: set[str]
) -> dict[str, float]:
    """The voice reader's typicality of each speaker (corpus-qualified, e.g. ``emodb:speaker16``): the mean over the
    monitor's windows of their speech, their clips joined per label into streams as the reader's own windows are
    (``training/voice_reader.window_rows``; cached beside its clip readings). A single short clip pooled whole sounds
    less typical than the monitor's windows of a stream (EmoDB's test speakers: 0.51 against 0.87), so whole clips
    would understate it."""
    from streammsa.training.voice_reader import (
        reader_cache_dir,
        speaker_typicality,
        voice_items,
        window_cache_path,
        window_rows,
    )

    items = [it for it in voice_items(data_root) if it.group in speakers]
    if not items:
        return {}
    cache = window_cache_path(reader_cache_dir(feature_cache.expanduser()), voice_reader.CACHE_TAG)
    return speaker_typicality(voice_reader, window_rows(items, cache, log=lambda _: None, states=voice_reader.states))


def unimodal_readings(model: Any, samples: list[Sample], present: np.ndarray) -> np.ndarray:
    """(N, 3) the model's overall reading with only that modality present (NaN where absent): a
    diagnostic of how much the joint heads borrow from the other modalities."""
    out = np.full(present.shape, np.nan)
    for j, m in enumerate(MODALITIES):
        idx = np.flatnonzero(present[:, j])
        alone = [
            Sample(s.id, {n: (x if n == m else x[:0]) for n, x in s.features.items()}, s.label)
            for s in (samples[i] for i in idx)
        ]
        if alone:
            out[idx, j] = run_model(model, alone)["intensity"]
    return out


# ---------------------------------------------------------------------------------------- targets


def odd_modality(modality_labels: np.ndarray, band: float = POLARITY_BAND) -> np.ndarray:
    """(N,) index of the one modality whose label polarity opposes the other two (which agree); -1 if none."""
    pol = np.where(modality_labels >= band, 1, np.where(modality_labels <= -band, -1, 0))
    pol = np.where(np.isnan(modality_labels), 0, pol)
    out = np.full(len(pol), -1)
    for j in range(3):
        a, b = [k for k in range(3) if k != j]
        odd = (pol[:, a] != 0) & (pol[:, a] == pol[:, b]) & (pol[:, j] == -pol[:, a])
        out[odd] = j
    return out


def ravdess_statement_targets(kind: np.ndarray, emotion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(selected, emotional): ravdess_statement windows with a clearly emotional or a neutral / calm voice."""
    emotional = np.isin(emotion, [EMOTIONS.index(e) for e in EMOTIONAL])
    calm = np.isin(emotion, [EMOTIONS.index(e) for e in CALM])
    sel = (np.asarray(kind) == "ravdess_statement") & (emotional | calm)
    return sel, emotional


# ---------------------------------------------------------------------------------------- measures


def _auc(score: np.ndarray, positive: np.ndarray) -> dict[str, Any]:
    positive = np.asarray(positive, dtype=bool)
    return {"n": int(len(positive)), "positives": int(positive.sum()), "roc_auc": roc_auc(score, positive)}


def measure(w: SplitWindows, out: WindowOutputs, polarity: PolarityCalibration) -> dict[str, Any]:
    """AUROC, naming accuracy and the RAVDESS-statement AUROC of the conflict signal on one split."""
    sig = conflict_signal(out, polarity)
    present = np.asarray(out["present"], dtype=bool)
    multi = present.sum(axis=1) >= 2
    flag = np.asarray(out["conflict_flag"], dtype=bool)
    res: dict[str, Any] = {
        "composed": {
            **_auc(sig.score[multi], flag[multi]),
            "mean_score": {"conflict": _mean(sig.score[multi & flag]), "no_conflict": _mean(sig.score[multi & ~flag])},
        }
    }
    if w.replay is not None:  # windows made to look like replay hold less evidence
        res["composed"]["by_replay"] = {
            (k or "none"): _auc(sig.score[multi & (w.replay == k)], flag[multi & (w.replay == k)])
            for k in sorted(set(w.replay.tolist()))
        }
    odd = odd_modality(w.modality_labels)
    three = present.all(axis=1) & (odd >= 0)
    named = np.asarray([n == MODALITIES[j] if j >= 0 else False for n, j in zip(sig.name, odd)])
    res["naming"] = {"n": int(three.sum()), "accuracy": _mean(named[three])}
    res["naming"]["by_modality"] = {
        m: {"n": int((three & (odd == j)).sum()), "accuracy": _mean(named[three & (odd == j)])}
        for j, m in enumerate(MODALITIES)
    }
    clear = (np.abs(np.nan_to_num(w.modality_labels)) >= CLEAR_BAND).all(axis=1)
    res["naming"]["by_label_strength"] = {
        k: {"n": int((three & sel).sum()), "accuracy": _mean(named[three & sel])}
        for k, sel in (("clear", clear), ("weak", ~clear))
    }
    res["polarity_roc_auc"] = calibrated_polarity(out, polarity)
    sel, emotional = ravdess_statement_targets(out["kind"], w.emotion)
    res["ravdess_statements"] = _auc(sig.score[sel], emotional[sel])
    res["ravdess_statements"]["mean_score_by_emotion"] = {
        EMOTIONS[e]: _mean(sig.score[(np.asarray(out["kind"]) == "ravdess_statement") & (w.emotion == e)])
        for e in sorted(set(w.emotion[np.asarray(out["kind"]) == "ravdess_statement"].tolist()))
        if e >= 0
    }
    return res


def calibrated_polarity(out: WindowOutputs, polarity: PolarityCalibration) -> dict[str, float | None]:
    """Each modality's ROC AUC, positive vs negative label, of P(positive) - P(negative) under ``polarity``: how
    well the signal's input ranks that modality's polarity (its reader and head read together, as the monitor)."""
    present = np.asarray(out["present"], dtype=bool)
    readings = np.asarray(out["modality"], dtype=np.float64)
    sources = out.get("sources") or {}
    res = {}
    for j, m in enumerate(MODALITIES):
        y = out["modality_labels"][:, j]
        sel = np.flatnonzero(present[:, j] & np.isfinite(y))
        score = np.empty(len(sel))
        for k, i in enumerate(sel):
            by_source = {s: float(v[i, j]) for s, v in sources.items() if np.isfinite(v[i, j])}
            p = polarity.probabilities(m, float(readings[i, j]), by_source)
            score[k] = p[2] - p[0]
        res[m] = polarity_auroc(score, y[sel], POLARITY_BAND) if len(sel) else None
    return res


def signal_on(
    valid: SplitWindows,
    test: SplitWindows,
    rule: str,
    fitted_on: str,
    valid_readings: np.ndarray | None = None,
    test_readings: np.ndarray | None = None,
) -> dict[str, Any]:
    """``measure`` on both splits under confidence ``rule``, the polarity calibration fitted on ``valid`` (with
    ``*_readings`` in place of the readings: a diagnostic)."""
    outs = [w.with_confidence(rule) for w in (valid, test)]
    for i, r in enumerate((valid_readings, test_readings)):
        if r is not None:
            outs[i] = {k: v for k, v in outs[i].items() if k != "sources"}  # these readings alone
            outs[i]["modality"] = np.where(np.isnan(r), 0.0, r)
    return _fitted_and_measured(valid, test, outs, fitted_on)


def _fitted_and_measured(
    valid: SplitWindows, test: SplitWindows, outs: list[WindowOutputs], fitted_on: str
) -> dict[str, Any]:
    """The polarity calibration fitted on the validation outputs, then ``measure`` on both splits."""
    polarity = fit_polarity(outs[0], fitted_on)
    return {sp: measure(w, out, polarity) for sp, w, out in (("valid", valid, outs[0]), ("test", test, outs[1]))}


def head_features(out: WindowOutputs) -> np.ndarray:
    """What a learned conflict head sees per window: readings, presence, confidences, and for each pair
    of modalities how far apart and how opposed their readings are (0 where either is absent)."""
    present = np.asarray(out["present"], dtype=np.float64)
    r = np.clip(np.nan_to_num(out["modality"]), -3, 3) * present
    c = np.nan_to_num(out.get("confidence", present), nan=0.0) * present
    pairs = [(0, 1), (0, 2), (1, 2)]
    apart = np.stack([np.abs(r[:, a] - r[:, b]) * present[:, a] * present[:, b] for a, b in pairs], axis=1)
    opposed = np.stack([np.minimum(0.0, r[:, a] * r[:, b]) for a, b in pairs], axis=1)
    return np.hstack([r, present, c, apart, opposed])


def conflict_head(valid: WindowOutputs, test: WindowOutputs, kind_test: SplitWindows) -> dict[str, Any]:
    """A logistic conflict head fitted on the VALIDATION windows' known disagreement, scored once on test
    (a candidate against the rule; the product uses the rule)."""
    from sklearn.linear_model import LogisticRegression

    multi_v = np.asarray(valid["present"]).sum(axis=1) >= 2
    head = LogisticRegression(C=1.0, max_iter=2000)
    head.fit(head_features(valid)[multi_v], np.asarray(valid["conflict_flag"], dtype=bool)[multi_v])
    score = head.decision_function(head_features(test))
    multi = np.asarray(test["present"]).sum(axis=1) >= 2
    sel, emotional = ravdess_statement_targets(test["kind"], kind_test.emotion)
    return {
        "composed": _auc(score[multi], np.asarray(test["conflict_flag"], dtype=bool)[multi]),
        "ravdess_statements": _auc(score[sel], emotional[sel]),
        "naming": "n/a: one score per window, it does not say who disagrees",
    }


def head_polarity(w: SplitWindows) -> dict[str, Any]:
    """Each head against its own modality's label: ROC AUC positive vs negative (|label| >= 0.5). The
    conflict signal cannot be better than the heads it compares."""
    present = np.asarray(w.out["present"], dtype=bool)
    res = {}
    for j, m in enumerate(MODALITIES):
        y = w.modality_labels[:, j]
        sel = present[:, j] & (np.abs(np.nan_to_num(y)) >= POLARITY_BAND)
        res[m] = _auc(w.out["modality"][sel, j], y[sel] > 0)
    return res


def model_head_polarity(w: SplitWindows, modality: str) -> dict[str, Any]:
    """The model's own head of a modality a reader reads (``load_windows(text_reader=..., voice_reader=...)``)."""
    j = MODALITIES.index(modality)
    y = w.modality_labels[:, j]
    sel = np.asarray(w.out["present"], dtype=bool)[:, j] & (np.abs(np.nan_to_num(y)) >= POLARITY_BAND)
    return _auc(w.out[HEAD_KEY[modality]][sel], y[sel] > 0)


HEAD_KEY = {
    "text": "text_head",
    "audio": "voice_head",
    "vision": "face_head",
}  # where load_windows keeps a model head a reader replaced


def old_signals(out: WindowOutputs) -> dict[str, Any]:
    """The scores before issue #11 on the same windows: CACR's max C_m and the spread of the heads."""
    present = np.asarray(out["present"], dtype=bool)
    multi = present.sum(axis=1) >= 2
    flag = np.asarray(out["conflict_flag"], dtype=bool)[multi]
    c_m = np.where(present, out["conflict"], -np.inf).max(axis=1)[multi]
    heads = np.where(present, np.clip(out["modality"], -3, 3), np.nan)[multi]
    spread = np.nanmax(heads, axis=1) - np.nanmin(heads, axis=1)
    return {"roc_auc_cacr_c_m": roc_auc(c_m, flag), "roc_auc_head_spread": roc_auc(spread, flag)}


def fusion_scores(out: WindowOutputs) -> dict[str, Any]:
    """The fused reading and the fixed label rule over the same model's heads (late fusion without learning)."""
    from streammsa.datasets.fusion_rule import FusionRule

    rule = FusionRule.load()
    present = np.asarray(out["present"], dtype=bool)
    heads = np.clip(out["modality"], -3, 3)
    late = np.full(len(heads), np.nan)
    for i in range(len(heads)):
        try:
            late[i] = rule.combine(*[float(heads[i, j]) if present[i, j] else None for j in range(3)])
        except InputError:  # a rule form that needs the words: no reading
            pass
    label = np.asarray(out["label"], dtype=np.float64)
    ok = ~np.isnan(late)
    return {
        "fused": _reading_scores(np.clip(out["intensity"], -3, 3), label),
        "late_fusion_rule_over_heads": _reading_scores(late[ok], label[ok]),
    }


def fusion_spread(fusion: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per model with two or more checkpoints (seeds): mean and standard deviation of each figure."""
    out: dict[str, Any] = {}
    for model in sorted({f["model"] for f in fusion.values()}):
        runs = [f for f in fusion.values() if f["model"] == model]
        if len(runs) < 2:
            continue
        out[model] = {"checkpoints": len(runs)}
        for reading in ("fused", "late_fusion_rule_over_heads"):
            out[model][reading] = {
                k: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1))}
                for k in ("MAE", "Acc2", "AUROC")
                if None not in (v := [r[reading][k] for r in runs])
            }
    return out


def _reading_scores(pred: np.ndarray, label: np.ndarray) -> dict[str, Any]:
    s = scores(pred, label)
    return {
        "n": s["n"],
        "MAE": s["MAE"],
        "Acc2": s["Non0_acc_2"],
        "Corr": s["Corr"],
        "AUROC": polarity_auroc(pred, label, POLARITY_BAND),
    }


def _mean(x: np.ndarray) -> float | None:
    return float(np.mean(x)) if len(x) else None


# ---------------------------------------------------------------------------------------- the whole measurement

TARGETS = {"composed_roc_auc": 0.85, "naming_accuracy": 0.80}


def with_label_reading(w: SplitWindows, out: WindowOutputs, modality: str) -> WindowOutputs:
    """``out`` with one modality read by its label (confidence 1, no reader or head beside it): what the signal
    would do if that modality were read perfectly and the others as they are."""
    j = MODALITIES.index(modality)
    present = np.asarray(out["present"], dtype=bool)[:, j]
    r = np.asarray(out["modality"], dtype=np.float64).copy()
    r[:, j] = np.nan_to_num(w.modality_labels[:, j])
    c = np.asarray(out["confidence"], dtype=np.float64).copy()
    c[:, j] = np.where(present, 1.0, np.nan)
    sources = {k: np.asarray(v, dtype=np.float64).copy() for k, v in out.get("sources", {}).items()}
    for v in sources.values():
        v[:, j] = np.nan  # the calibration then reads the label alone
    return {**out, "modality": r, "confidence": c, "sources": sources}


def signal_one_label(valid: SplitWindows, test: SplitWindows, rule: str, fitted_on: str) -> dict[str, Any]:
    """``measure`` with each modality in turn read by its label (``with_label_reading``): which modality's reading
    limits the signal, and how far a perfect reading of it alone would take it."""
    res = {}
    for m in MODALITIES:
        outs = [with_label_reading(w, w.with_confidence(rule), m) for w in (valid, test)]
        res[m] = _fitted_and_measured(valid, test, outs, fitted_on)
    return res


QUALITY_NOISE = (0.5, 1.0, 1.25, 1.5, 2.0)  # sd of the noise on a label read as the reading (intensity units)
QUALITY_SEEDS = (0, 1, 2)
QUALITY_GROUPS = (("audio",), ("text",), ("vision",), MODALITIES)


def _mean_of(values: list[float | None]) -> float | None:
    """The mean, or None where a run had none (a split without both polarities of a modality)."""
    return None if any(v is None for v in values) else float(np.mean(values))


def with_noisy_label_reading(
    w: SplitWindows, out: WindowOutputs, modality: str, noise_sd: float, rng: np.random.Generator
) -> WindowOutputs:
    """``with_label_reading`` plus Gaussian noise: a reader of known quality that errs at random, which real
    readers do not (theirs follow the emotion, the speaker, the corpus)."""
    out = with_label_reading(w, out, modality)
    j = MODALITIES.index(modality)
    r = out["modality"].copy()
    r[:, j] += noise_sd * rng.standard_normal(len(r))
    return {**out, "modality": r}


def reading_quality_curve(
    valid: SplitWindows,
    test: SplitWindows,
    rule: str,
    fitted_on: str,
    noise: tuple[float, ...] = QUALITY_NOISE,
    seeds: tuple[int, ...] = QUALITY_SEEDS,
) -> dict[str, list[dict[str, Any]]]:
    """How good the readings must be for a figure of the signal: per group of modalities (each alone, then all
    three), each read by its label plus noise of each sd (``with_noisy_label_reading``; the others as the
    monitor reads them), the calibration refitted on validation; per sd, the mean over ``seeds`` of each
    modality's calibrated polarity ROC AUC on test, naming (test and validation) and the composed ROC AUC."""
    res: dict[str, list[dict[str, Any]]] = {}
    for group in QUALITY_GROUPS:
        res["+".join(group)] = points = []
        for sd in noise:
            runs = []
            for seed in seeds:
                outs = []
                for k, w in enumerate((valid, test)):
                    rng, out = np.random.default_rng([seed, k]), w.with_confidence(rule)
                    for m in group:
                        out = with_noisy_label_reading(w, out, m, sd, rng)
                    outs.append(out)
                runs.append(_fitted_and_measured(valid, test, outs, fitted_on))
            naming = [r["test"]["naming"]["accuracy"] for r in runs]
            points.append(
                {
                    "noise_sd": sd,
                    "seeds": len(seeds),
                    "polarity_roc_auc": {
                        m: _mean_of([r["test"]["polarity_roc_auc"][m] for r in runs]) for m in MODALITIES
                    },
                    "naming": {
                        "test": _mean_of(naming),
                        "test_range": None if None in naming else [float(min(naming)), float(max(naming))],
                        "valid": _mean_of([r["valid"]["naming"]["accuracy"] for r in runs]),
                    },
                    "composed_roc_auc": _mean_of([r["test"]["composed"]["roc_auc"] for r in runs]),
                }
            )
    return res


def evaluate_conflict(
    checkpoint: str,
    data: Path,
    fpr: float = 0.05,
    compare: tuple[str, ...] = (),
    command: str = "",
    text_reader: Any = None,
    voice_reader: Any = None,
    face_reader: Any = None,
    face_shown: bool = False,
    reading_quality: bool = False,
) -> dict[str, Any]:
    """Everything above for one checkpoint (``compare``: other checkpoints for the fusion comparison); the text
    and voice readings are ``text_reader``'s and ``voice_reader``'s when given (the monitor's), else the model's
    heads; the face reading is ``face_reader``'s with ``face_shown``, else the model's head (``load_windows``).
    ``reading_quality``: also ``reading_quality_curve`` (about a minute more on 2 cores)."""
    from streammsa.training.evaluation.forward import load_cpu

    model, meta = load_cpu(checkpoint)
    readers = {
        "text_reader": text_reader,
        "voice_reader": voice_reader,
        "face_reader": face_reader,
        "face_shown": face_shown,
    }
    valid = load_windows(model, meta, data, "valid", unimodal=True, **readers)
    test = load_windows(model, meta, data, "test", unimodal=True, **readers)
    res: dict[str, Any] = {
        **reading_sources(readers),
        "checkpoint": str(checkpoint),
        "model": meta["model_name"],
        "data": str(data),
        "windows": {"valid": len(valid.out["label"]), "test": len(test.out["label"])},
        "headline_confidence": HEADLINE_RULE,
        "confidence_rules": dict(RULE_TEXT),
    }
    fitted_on = f"{data} valid split ({len(valid.out['label'])} composed windows, held-out identities)"
    res["signal"] = {rule: signal_on(valid, test, rule, fitted_on) for rule in CONFIDENCE_RULES}
    res["signal_unimodal_readings"] = signal_on(valid, test, HEADLINE_RULE, fitted_on, valid.unimodal, test.unimodal)
    # each modality's label as its reading: what the signal does with perfect readings
    res["signal_label_readings"] = signal_on(
        valid, test, HEADLINE_RULE, fitted_on, valid.modality_labels, test.modality_labels
    )
    res["signal_one_label_reading"] = signal_one_label(valid, test, HEADLINE_RULE, fitted_on)
    if reading_quality:
        res["reading_quality"] = reading_quality_curve(valid, test, HEADLINE_RULE, fitted_on)
    res["head_polarity"] = {"valid": head_polarity(valid), "test": head_polarity(test)}
    for m, key in HEAD_KEY.items():  # the model's own head beside a reader, on the same windows
        if key in test.out:
            res[f"{key}_polarity"] = {sp: model_head_polarity(w, m) for sp, w in (("valid", valid), ("test", test))}
    res["learned_head"] = conflict_head(valid.with_confidence(HEADLINE_RULE), test.with_confidence(HEADLINE_RULE), test)
    res["old_signals"] = {"valid": old_signals(valid.out), "test": old_signals(test.out)}
    res["alerts"] = calibrate(
        valid.with_confidence(HEADLINE_RULE),
        test.with_confidence(HEADLINE_RULE),
        fpr,
        fitted_on=fitted_on,
        command=command,
        confidence_rule=RULE_TEXT[HEADLINE_RULE],
        shown=shown_sources(readers),
    )
    # keyed by checkpoint: several seeds of one model give its spread (fusion_spread)
    res["fusion"] = {str(checkpoint): {"model": meta["model_name"], **fusion_scores(test.out)}}
    res["fusion"][str(checkpoint)]["conflict_roc_auc"] = res["signal"][HEADLINE_RULE]["test"]["composed"]["roc_auc"]
    for other in compare:
        m2, meta2 = load_cpu(other)
        v2, w2 = (load_windows(m2, meta2, data, sp, **readers) for sp in ("valid", "test"))
        f = {"model": meta2["model_name"], **fusion_scores(w2.out)}
        f["conflict_roc_auc"] = signal_on(v2, w2, HEADLINE_RULE, fitted_on)["test"]["composed"]["roc_auc"]
        res["fusion"][str(other)] = f
    res["fusion_spread"] = fusion_spread(res["fusion"])
    head = res["signal"][HEADLINE_RULE]["test"]
    res["targets"] = {
        "composed_roc_auc": {"target": TARGETS["composed_roc_auc"], "value": head["composed"]["roc_auc"]},
        "naming_accuracy": {"target": TARGETS["naming_accuracy"], "value": head["naming"]["accuracy"]},
    }
    for t in res["targets"].values():
        t["met"] = t["value"] is not None and t["value"] >= t["target"]
    return res


def _f(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def markdown(res: dict[str, Any]) -> str:
    """A results section from ``evaluate_conflict``'s (cleaned) result: every number is read from it."""
    a, sig = res["alerts"], res["signal"]
    L = [
        f"### Conflict signal: {res['model'].upper()} (`{res['checkpoint']}`)",
        "",
        f"Data: `{res['data']}`, {res['windows']['valid']} validation / {res['windows']['test']} test windows "
        "(held-out identities). Score = the window's disagreement D (probability that two present modalities read "
        "opposite polarities, engine/disagreement.py, polarity calibration fitted on validation) on the Reading the "
        "monitor builds from each window; naming = the largest d_m. Confidence in the headline: "
        f"{res['confidence_rules'][res['headline_confidence']]}.",
        "",
        f"`{a['command']}`" if a.get("command") else "",
        "",
        "| readings / confidence | split | composed ROC AUC (n, conflicts) "
        "| naming accuracy (n) | RAVDESS statements ROC AUC (n, emotional) |",
        "|---|---|---|---|---|",
    ]
    rows = (
        [(f"the monitor's readings / {r}", sig[r]) for r in sig]
        + [
            (
                f"model heads with only that modality present / {res['headline_confidence']}",
                res["signal_unimodal_readings"],
            ),
            (f"labels as readings (the signal's ceiling) / {res['headline_confidence']}", res["signal_label_readings"]),
        ]
        + [
            (f"the monitor's readings, the {m} read by its label / {res['headline_confidence']}", by_split)
            for m, by_split in res.get("signal_one_label_reading", {}).items()
        ]
    )
    for label, by_split in rows:
        for sp in ("test", "valid"):
            m = by_split[sp]
            c, n, r = m["composed"], m["naming"], m["ravdess_statements"]
            L.append(
                f"| {label} | {sp} | {_f(c['roc_auc'])} ({c['n']}, {c['positives']}) "
                f"| {_f(n['accuracy'])} ({n['n']}) "
                f"| {_f(r['roc_auc'])} ({r['n']}, {r['positives']}) |"
            )
    shipped = sig[res["headline_confidence"]]["test"]["polarity_roc_auc"]
    L += [
        "",
        "Each modality's calibrated polarity ROC AUC (test, headline; P(positive) - P(negative), positive vs negative "
        "label): " + ", ".join(f"{m} {_f(v)}" for m, v in shipped.items()) + ".",
    ]
    if res.get("reading_quality"):
        L += [
            "",
            "How good the readings must be: each group of modalities read by its label plus Gaussian noise of sd s "
            "(the others as the monitor reads them; calibration refitted on validation; mean over "
            f"{next(iter(res['reading_quality'].values()))[0]['seeds']} noise seeds).",
            "",
            "| read by label + noise | s | polarity ROC AUC text / audio / vision (test) | naming test [range] "
            "| naming valid | composed ROC AUC test |",
            "|---|---|---|---|---|---|",
        ]
        for group, points in res["reading_quality"].items():
            for q in points:
                pa, n = q["polarity_roc_auc"], q["naming"]
                L.append(
                    f"| {group} | {q['noise_sd']:g} | "
                    + " / ".join(_f(pa[m]) for m in MODALITIES)
                    + f" | {_f(n['test'])} [{', '.join(_f(v) for v in n['test_range'] or ())}] | {_f(n['valid'])} "
                    f"| {_f(q['composed_roc_auc'])} |"
                )
    old, head = res["old_signals"]["test"], res["learned_head"]
    L += [
        "",
        f"Learned logistic conflict head (fitted on validation, test once): composed ROC AUC "
        f"{_f(head['composed']['roc_auc'])}, RAVDESS statements {_f(head['ravdess_statements']['roc_auc'])}; "
        "it gives one score per window and cannot name the modality.",
        "",
        f"Old signals on the same test windows: CACR's max C_m ROC AUC {_f(old['roc_auc_cacr_c_m'])}, spread of the "
        f"heads {_f(old['roc_auc_head_spread'])}.",
        "",
        "Each head's own polarity ROC AUC (test, positive vs negative label of its modality): "
        + ", ".join(f"{m} {_f(v['roc_auc'])} (n={v['n']})" for m, v in res["head_polarity"]["test"].items())
        + ".",
        "",
        "Composed ROC AUC by replay imitation (test, headline): "
        + ", ".join(
            f"{k} {_f(v['roc_auc'])} (n={v['n']})"
            for k, v in sig[res["headline_confidence"]]["test"]["composed"].get("by_replay", {}).items()
        )
        + ".",
        "",
        "Naming by the modality that is odd (test, headline): "
        + ", ".join(
            f"{m} {_f(v['accuracy'])} (n={v['n']})"
            for m, v in sig[res["headline_confidence"]]["test"]["naming"]["by_modality"].items()
        )
        + ".",
        "",
        "Naming by the labels' strength (test, headline; clear: every modality's |label| >= "
        f"{CLEAR_BAND:g}, weak: one or more in [{POLARITY_BAND:g}, {CLEAR_BAND:g})): "
        + ", ".join(
            f"{k} {_f(v['accuracy'])} (n={v['n']})"
            for k, v in sig[res["headline_confidence"]]["test"]["naming"].get("by_label_strength", {}).items()
        )
        + ".",
        "",
        "RAVDESS statements, mean d by the voice's emotion (test, headline): "
        + ", ".join(
            f"{e} {_f(v)}"
            for e, v in sig[res["headline_confidence"]]["test"]["ravdess_statements"]["mean_score_by_emotion"].items()
        )
        + ".",
        "",
        f"Alert thresholds fitted on validation for a per-window false-alarm rate of {a['target_window_fpr']} "
        f"({a['conflict_rule']}): `{json.dumps(a['thresholds'])}`.",
        "",
        "| window rates | conflict FPR | conflict TPR | negative FPR | negative TPR |",
        "|---|---|---|---|---|",
    ]
    for label, key in (("valid, fitted", "valid"), ("test, fitted", "test"), ("test, defaults", "test_with_defaults")):
        v = a[key]
        L.append(
            f"| {label} | {_f(v['conflict_window_fpr'])} | {_f(v['conflict_window_tpr'])} "
            f"| {_f(v['negative_window_fpr'])} | {_f(v['negative_window_tpr'])} |"
        )
    L += [
        "",
        "Fused reading vs late fusion on the test windows. Late fusion = the fixed label rule (CH-SIMS v2 fit) "
        "over the same model's heads, and any late-fusion checkpoint given. "
        + ("Seed spread below." if res.get("fusion_spread") else "One checkpoint per model: no seed spread."),
        "",
        "| checkpoint | model | reading | n | MAE | Acc2 | Corr | polarity ROC AUC | conflict ROC AUC |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ckpt, f in res["fusion"].items():
        for reading in ("fused", "late_fusion_rule_over_heads"):
            s = f[reading]
            L.append(
                f"| `{ckpt}` | {f['model']} | {reading} | {s['n']} | {_f(s['MAE'])} | {_f(s['Acc2'])} "
                f"| {_f(s['Corr'])} | {_f(s['AUROC'])} | {_f(f['conflict_roc_auc']) if reading == 'fused' else ''} |"
            )
    if res.get("fusion_spread"):
        L += ["", "| model (seeds) | reading | MAE | Acc2 | polarity ROC AUC |", "|---|---|---|---|---|"]
        for model, sp in res["fusion_spread"].items():
            for reading in ("fused", "late_fusion_rule_over_heads"):
                cells = [
                    f"{sp[reading][k]['mean']:.3f} ± {sp[reading][k]['std']:.3f}" if k in sp[reading] else "n/a"
                    for k in ("MAE", "Acc2", "AUROC")
                ]
                L.append(f"| {model} ({sp['checkpoints']}) | {reading} | " + " | ".join(cells) + " |")
    targets = "; ".join(
        f"{k} {_f(t['value'])} (target {t['target']}: {'met' if t['met'] else 'NOT met'})"
        for k, t in res["targets"].items()
    )
    L += ["", f"Targets (test, headline): {targets}.", ""]
    return "\n".join(L)
