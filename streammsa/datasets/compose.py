"""Tri-modal training windows composed from unimodal pools, labelled by the fitted fusion rule.

No labelled tri-modal media with sentiment intensity exists here, so each window takes its text,
audio and face from the pools of one split (pools.py), each with its own known label, and
the overall label is ``FusionRule.combine(y_t, y_a, y_v)`` (absent -> None): the rule fitted on
real human judgments of how people fuse conflicting cues (docs/labels.md).

Kinds of window (proportions in ``ComposeConfig.proportions``; docs/composed-dataset.md):

* ``agree``: all three modalities drawn from the same polarity bin (negative / neutral / positive).
* ``conflict``: one modality positive, another negative, the third from any bin.
* ``one_absent``: one modality absent (chosen uniformly), the other two from independent bins.
* ``two_absent``: a single modality (supervises the unimodal paths).
* ``ravdess_statement``: *real* tri-modal conflict: the RAVDESS clip's own voice with the neutral
  sentence the actor actually spoke (label_T = 0), no face (RAVDESS video is not available here).
* ``grid_real``: a real GRID clip, its transcript, voice and talking face together, all neutral.

Fixes of issue #10 (each a ``ComposeConfig`` value):

* ``ravdess_statement`` voices are drawn by polarity bin (a bin uniformly, then a clip of that bin), so the
  two sentences' window labels are balanced instead of mostly negative (median -1.49 before), and the
  sentences, like GRID's, are also drawn as neutral text in the other kinds (``scripted_text_share``): a
  plain neutral sentence reads neutral whatever voice and face come with it.
* Windows that look like replay (``replay_share``): the stream's first seconds (every modality covers only
  the window's last part), and words that arrive late (the window's last words not yet committed; when none
  is left the text is absent and its label with it).
* ``weights``: each present modality's label confidence (``PoolItem.confidence``: e.g. surprise 0.5, EmoDB
  listeners' recognition rate), which the task loss weighs its samples by.

Window layout, as the monitor slices a ``window_s`` window from its feature caches:

* text: the transcript's words are laid out at a speaking rate drawn from ``words_per_s``; a token
  sits at its word's midpoint (the monitor's rule); when the words last longer than the window, a
  random window-long span is kept. Tokens were encoded with the whole transcript as context, as
  the monitor's encoder sees a whole committed ASR segment.
* audio: a clip longer than the window is cropped at a random offset; a shorter one keeps all its
  frames (fewer steps, masked by length: never padded with zeros read as evidence).
* vision: a talking-face clip as for audio; a still photo (one vector) is repeated at the spec's
  frame rate over the window, plus the motion of a real talking face: the frame-minus-clip-mean
  residual trajectory of a train-split GRID clip, played forward and back (``still_jitter`` scales
  it; 0 = exact repeats), so "the face does not move" is not a shortcut for "not neutral".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from streammsa import MODALITIES
from streammsa.datasets.fusion_rule import FusionRule
from streammsa.datasets.labels import EMOTIONS
from streammsa.datasets.pools import PoolEntry, Pools
from streammsa.features import vision as V
from streammsa.features.spec import FeatureSpec

KINDS = ("agree", "conflict", "one_absent", "two_absent", "ravdess_statement", "grid_real")
DEFAULT_PROPORTIONS: dict[str, float] = {
    "agree": 0.30,
    "conflict": 0.30,
    "one_absent": 0.15,
    "two_absent": 0.05,
    "ravdess_statement": 0.15,
    "grid_real": 0.05,
}
BINS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class ComposeConfig:
    proportions: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PROPORTIONS))
    neutral_band: float = 0.5
    """|y| below this is the neutral bin; at or above it, negative / positive."""
    words_per_s: tuple[float, float] = (2.0, 3.2)
    """Speaking rate range (uniform), words per second (conversational English is about 2-3)."""
    grid_share: float = 0.2
    """Fraction of neutral-bin audio / vision draws taken from GRID's real neutral talking clips."""
    still_jitter: float = 1.0
    """Scale of the real GRID motion trajectory added to repeated photos (0 = exact repeats)."""
    scripted_text_share: float = 0.15
    """Fraction of neutral-bin text draws taken from the scripted sentences (RAVDESS's two, the split's GRID)."""
    replay_share: float = 0.2
    """Fraction of windows made to look like replay: half a stream start, half late words (text windows)."""
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [k for k in self.proportions if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown window kind {unknown[0]!r}: use {', '.join(KINDS)}")
        if any(v < 0 for v in self.proportions.values()) or sum(self.proportions.values()) <= 0:
            raise ValueError("kind proportions must be non-negative and not all zero")
        if not (0 <= self.scripted_text_share <= 1 and 0 <= self.replay_share <= 1):
            raise ValueError("scripted_text_share and replay_share must lie in [0, 1]")
        lo, hi = self.words_per_s
        if not 0 < lo <= hi:
            raise ValueError(f"words_per_s must be 0 < low <= high, got {self.words_per_s}")


@dataclass
class ComposedWindow:
    """One composed training window (raw features; the trainer normalises)."""

    id: str
    kind: str
    features: dict[str, np.ndarray]
    label: float
    modality_labels: np.ndarray
    """(3,) per-modality labels, NaN where the modality is absent."""
    conflict: bool
    """A present positive and a present negative modality (bins by ``neutral_band``)."""
    conflict_magnitude: float
    """max - min of the present per-modality labels (0 with one modality)."""
    sources: dict[str, str]
    groups: dict[str, str]
    emotion: int = -1
    weights: np.ndarray = field(default_factory=lambda: np.full(3, np.nan, dtype=np.float32))
    """(3,) label confidence of each present modality in (0, 1], NaN where absent (the loss weights)."""
    replay: str = ""
    """How the window imitates replay: "" (it does not), "start" (stream start), "late_text" (words not yet in)."""


def polarity_bin(y: float, band: float) -> str:
    return "negative" if y <= -band else "positive" if y >= band else "neutral"


def conflict_of(labels: np.ndarray, band: float) -> tuple[bool, float]:
    present = labels[~np.isnan(labels)]
    if present.size < 2:
        return False, 0.0
    return bool((present <= -band).any() and (present >= band).any()), float(present.max() - present.min())


def residual_motions(entries: list[PoolEntry]) -> list[np.ndarray]:
    """Frame-minus-clip-mean trajectories (T, D) of real talking-face clips (not photos)."""
    return [
        (e.features - e.features.mean(axis=0, keepdims=True)).astype(np.float32)
        for e in entries
        if not e.item.still and len(e.features) > 1
    ]


def bounce_index(length: int, frames: int, start: int) -> np.ndarray:
    """``frames`` indices into a clip of ``length`` frames, played forward and back from ``start``
    (a palindrome loop has no jump where it wraps, unlike tiling)."""
    period = 2 * (length - 1)
    k = (start + np.arange(frames)) % period
    return np.where(k < length, k, period - k)


class _SplitPools:
    """Entries of one split, binned by polarity, with the draws the composer needs."""

    def __init__(self, pools: Pools, split: str, cfg: ComposeConfig, rng: np.random.Generator) -> None:
        self.rng = rng
        self.cfg = cfg
        self.bins: dict[str, dict[str, list[PoolEntry]]] = {}
        self.grid_bins: dict[str, dict[str, list[PoolEntry]]] = {}
        for m in MODALITIES:
            self.bins[m] = {b: [] for b in BINS}
            self.grid_bins[m] = {b: [] for b in BINS}
            for e in pools.entries[m][split]:
                target = self.grid_bins if e.item.corpus == "grid" else self.bins
                target[m][polarity_bin(e.item.label, cfg.neutral_band)].append(e)
        self.available = [m for m in MODALITIES if any(self.bins[m][b] or self.grid_bins[m][b] for b in BINS)]
        self.ravdess = [e for e in pools.entries["audio"][split] if e.item.corpus == "ravdess"]
        by_key: dict[str, dict[str, PoolEntry]] = {}
        for m in MODALITIES:
            for e in pools.entries[m][split]:
                if e.item.corpus == "grid":
                    by_key.setdefault(e.item.key, {})[m] = e
        self.grid_clips = [d for _, d in sorted(by_key.items()) if len(d) == 3]
        # plain neutral sentences that people really spoke: RAVDESS's two and this split's GRID commands
        self.scripted_text = [*pools.statements.values(), *self.grid_bins["text"]["neutral"]]
        self.ravdess_bins = {
            b: [e for e in self.ravdess if polarity_bin(e.item.label, cfg.neutral_band) == b] for b in BINS
        }

    def has(self, m: str, b: str) -> bool:
        return bool(self.bins[m][b] or self.grid_bins[m][b])

    def draw(self, m: str, b: str) -> PoolEntry:
        plain, grid = self.bins[m][b], self.grid_bins[m][b]
        if m == "text" and b == "neutral" and self.scripted_text and self.rng.random() < self.cfg.scripted_text_share:
            return self.scripted_text[int(self.rng.integers(len(self.scripted_text)))]
        # GRID's 11 command sentences are not drawn as composed text when transcripts exist
        # (they would repeat thousands of times); they appear in grid_real windows with their clip.
        use_grid = bool(grid) and (not plain or (m != "text" and self.rng.random() < self.cfg.grid_share))
        pick = grid if use_grid else plain
        return pick[int(self.rng.integers(len(pick)))]

    def bins_for(self, m: str) -> list[str]:
        return [b for b in BINS if self.has(m, b)]

    def ravdess_voice(self) -> PoolEntry:
        """A RAVDESS clip of a polarity bin drawn uniformly (the clips themselves are mostly negative)."""
        bins = [b for b in BINS if self.ravdess_bins[b]]
        pick = self.ravdess_bins[bins[int(self.rng.integers(len(bins)))]]
        return pick[int(self.rng.integers(len(pick)))]


class Composer:
    """Draws windows of one split. Deterministic for a given (pools, config, split)."""

    def __init__(self, pools: Pools, spec: FeatureSpec, rule: FusionRule, cfg: ComposeConfig) -> None:
        self.pools = pools
        self.spec = spec
        self.rule = rule
        self.cfg = cfg
        self.frames = {
            "audio": int(round(spec.window_s * spec.audio.rate_hz)),
            "vision": int(round(spec.window_s * spec.vision.rate_hz)),
        }
        train_grid = [e for e in pools.entries["vision"]["train"] if e.item.corpus == "grid"]
        # Train-split clips only: the motion of held-out speakers never enters training windows.
        self.motions = residual_motions(train_grid)

    # ------------------------------------------------------------------ plan one split

    def compose(self, split: str, n: int) -> list[ComposedWindow]:
        seed = (self.cfg.seed, ("train", "valid", "test").index(split) if split in ("train", "valid", "test") else 9)
        rng = np.random.default_rng(np.random.SeedSequence(list(seed)))
        sp = _SplitPools(self.pools, split, self.cfg, rng)
        kinds = self.feasible_kinds(sp)
        if not kinds or n <= 0:
            return []
        names = sorted(kinds)
        p = np.asarray([kinds[k] for k in names], dtype=np.float64)
        counts = _apportion(n, p / p.sum())
        plan = [k for k, c in zip(names, counts) for _ in range(c)]
        rng.shuffle(plan)
        return [self._window(sp, split, i, kind, rng) for i, kind in enumerate(plan)]

    def feasible_kinds(self, sp: _SplitPools) -> dict[str, float]:
        """Kinds this split's pools can make, with their configured proportions."""
        avail = sp.available
        ok = {
            "agree": len(avail) >= 2 and any(all(sp.has(m, b) for m in avail) for b in BINS),
            "conflict": bool(_conflict_pairs(sp, avail)),
            "one_absent": len(avail) == 3,
            "two_absent": len(avail) >= 1,
            "ravdess_statement": bool(sp.ravdess) and bool(self.pools.statements),
            "grid_real": bool(sp.grid_clips),
        }
        return {k: float(v) for k, v in self.cfg.proportions.items() if ok.get(k) and v > 0}

    # ------------------------------------------------------------------ one window

    def _window(self, sp: _SplitPools, split: str, i: int, kind: str, rng: np.random.Generator) -> ComposedWindow:
        chosen: dict[str, PoolEntry] = {}
        emotion = -1
        if kind == "agree":
            b = rng.choice([b for b in BINS if all(sp.has(m, b) for m in sp.available)])
            chosen = {m: sp.draw(m, b) for m in sp.available}
        elif kind == "conflict":
            pairs = _conflict_pairs(sp, sp.available)
            pos, neg = pairs[int(rng.integers(len(pairs)))]
            chosen = {pos: sp.draw(pos, "positive"), neg: sp.draw(neg, "negative")}
            for m in sp.available:
                if m not in chosen:
                    chosen[m] = sp.draw(m, rng.choice(sp.bins_for(m)))
        elif kind in ("one_absent", "two_absent"):
            keep = 2 if kind == "one_absent" else 1
            mods = sorted(rng.choice(sp.available, size=keep, replace=False).tolist(), key=MODALITIES.index)
            chosen = {m: sp.draw(m, rng.choice(sp.bins_for(m))) for m in mods}
        elif kind == "ravdess_statement":
            audio = sp.ravdess_voice()
            number = int(audio.item.key.split("-")[4])  # the statement field of the RAVDESS name
            chosen = {"text": self.pools.statements[number], "audio": audio}
            emotion = EMOTIONS.index(audio.item.emotion)
        elif kind == "grid_real":
            chosen = dict(sp.grid_clips[int(rng.integers(len(sp.grid_clips)))])
            emotion = EMOTIONS.index("neutral")
        words = np.zeros(0, np.int64)
        feats = {m: np.zeros((0, self.spec[m].dim), np.float32) for m in MODALITIES}
        for m in chosen:
            if m == "text":
                feats[m], words = self._text_window(chosen[m], rng)
            else:
                feats[m] = self._layout(m, chosen[m], rng)
        replay = self._replay_kind(feats, rng)
        if replay:
            shown = self._as_replay(replay, feats, words, rng)
            # a window left with nothing is not one a reading is made of: keep it whole
            feats, replay = (shown, replay) if any(len(x) for x in shown.values()) else (feats, "")
        chosen = {m: e for m, e in chosen.items() if len(feats[m])}  # late words may leave no text at all
        labels = np.asarray([chosen[m].item.label if m in chosen else np.nan for m in MODALITIES], dtype=np.float32)
        weights = np.asarray([chosen[m].item.confidence if m in chosen else np.nan for m in MODALITIES], np.float32)
        overall = self.rule.combine(*[None if math.isnan(v) else float(v) for v in labels])
        conflict, magnitude = conflict_of(labels, self.cfg.neutral_band)
        return ComposedWindow(
            id=f"{split}/{i:06d}/{kind}",
            kind=kind,
            features=feats,
            label=float(overall),
            modality_labels=labels,
            conflict=conflict,
            conflict_magnitude=magnitude,
            sources={m: chosen[m].item.key for m in chosen},
            groups={m: chosen[m].item.group for m in chosen},
            emotion=emotion,
            weights=weights,
            replay=replay,
        )

    def _replay_kind(self, feats: dict[str, np.ndarray], rng: np.random.Generator) -> str:
        if not any(len(x) for x in feats.values()) or rng.random() >= self.cfg.replay_share:
            return ""
        return "late_text" if len(feats["text"]) and rng.random() < 0.5 else "start"

    def _as_replay(
        self, how: str, feats: dict[str, np.ndarray], words: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """The window as replay shows it. "start": the stream began inside the window, so each modality
        holds only its last part (the same share of time for all); "late_text": the window's last words
        are not committed yet (the recogniser is behind), possibly none of them."""
        out = dict(feats)
        text = feats["text"]
        if how == "start":
            keep = float(rng.uniform(0.2, 0.9))
            for m in ("audio", "vision"):
                x = feats[m]
                out[m] = x[len(x) - int(math.ceil(keep * len(x))) :]
            if len(text):
                out["text"] = _tail_words(text, words, keep)
        else:
            out["text"] = _head_words(text, words, float(rng.uniform(0.0, 0.8)))
        return out

    def _layout(self, m: str, entry: PoolEntry, rng: np.random.Generator) -> np.ndarray:
        x = entry.features
        if m == "text":
            return self._text_window(entry, rng)[0]
        if m == "vision" and entry.item.still:
            return self._still_window(x[0], rng)
        return _crop(x, self.frames[m], rng)

    def _text_window(self, entry: PoolEntry, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The tokens a window holds and each one's word index."""
        words = entry.word_index if entry.word_index is not None else np.arange(len(entry.features))
        lo, hi = self.cfg.words_per_s
        rate = float(rng.uniform(lo, hi))
        mid = (entry.word_index.astype(np.float64) + 0.5) / rate  # token time = its word's midpoint
        n_words = int(entry.word_index.max()) + 1
        span = n_words / rate
        if span <= self.spec.window_s:
            return entry.features, words
        t0 = float(rng.uniform(0.0, span - self.spec.window_s))
        keep = (mid >= t0) & (mid < t0 + self.spec.window_s)
        return entry.features[keep], words[keep]

    def _still_window(self, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.repeat(v[None, :], self.frames["vision"], axis=0).astype(np.float32)
        if self.cfg.still_jitter > 0 and self.motions:
            motion = self.motions[int(rng.integers(len(self.motions)))]
            idx = bounce_index(len(motion), len(x), int(rng.integers(2 * (len(motion) - 1))))
            x = x + self.cfg.still_jitter * motion[idx]
            # Keep each block in its valid range: scores in [0, 1], FER probabilities summing to 1.
            x[:, V.BLENDSHAPE_SLICE] = np.clip(x[:, V.BLENDSHAPE_SLICE], 0.0, 1.0)
            fer = np.clip(x[:, V.FER_SLICE], 1e-6, None)
            x[:, V.FER_SLICE] = fer / fer.sum(axis=1, keepdims=True)
        return x


def _head_words(tokens: np.ndarray, words: np.ndarray, share: float) -> np.ndarray:
    """The tokens of the window's first ``share`` of words (rounded down: 0 keeps none)."""
    order = np.unique(words)
    return tokens[np.isin(words, order[: int(share * len(order))])]


def _tail_words(tokens: np.ndarray, words: np.ndarray, share: float) -> np.ndarray:
    """The tokens of the window's last ``share`` of words (at least one word)."""
    order = np.unique(words)
    return tokens[np.isin(words, order[len(order) - max(1, int(round(share * len(order)))) :])]


def _crop(x: np.ndarray, frames: int, rng: np.random.Generator) -> np.ndarray:
    if len(x) <= frames:
        return x
    a = int(rng.integers(0, len(x) - frames + 1))
    return x[a : a + frames]


def _conflict_pairs(sp: _SplitPools, avail: list[str]) -> list[tuple[str, str]]:
    return [(p, q) for p in avail for q in avail if p != q and sp.has(p, "positive") and sp.has(q, "negative")]


def _apportion(n: int, p: np.ndarray) -> list[int]:
    """Integer counts summing to ``n`` closest to ``n * p`` (largest remainders)."""
    raw = n * p
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts))[: n - counts.sum()]:
        counts[k] += 1
    return counts.tolist()
