"""Windows on the stream clock, and model inputs sliced from the feature caches.

A window is ``window_s`` long and one ends every ``hop_s`` (4 s / 1 s by default, from the
FeatureSpec the model was trained with). The first windows of a stream are shorter
(they start at 0), so a 3 s clip still gets a reading per hop; when the stream ends, a
last window ends at the stream's end if at least ``min_tail_s`` is left over.

A window is emitted once every active modality's extractor has advanced past its end
(its *watermark*), or the stream has ended. Inputs are slices of the caches, never
recomputed; a modality with no steps in a window (no face, no words, no audio stream)
is absent: present False with an all-False mask, never zeros read as evidence.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from streammsa import MODALITIES
from streammsa.engine.evidence import EvidenceConfig, face_confidence, text_confidence, voice_confidence
from streammsa.features.spec import FeatureSpec
from streammsa.models.io import MSABatch, pad_sequences


class SliceableCache(Protocol):
    """What windowing needs from a feature cache (FeatureCache, TextSegmentCache): (times, values) with t0 <= t < t1."""

    def slice(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class Window:
    stream: str
    index: int
    t_start: float
    t_end: float


@dataclass
class WindowInputs:
    """One window's normalised features per modality ((T_m, D_m) float32; T_m = 0 when absent) and the
    confidence of each modality's evidence in [0, 1] (None: unknown, no evidence track for it)."""

    window: Window
    features: dict[str, np.ndarray]
    confidence: dict[str, float | None] = field(default_factory=lambda: {m: None for m in MODALITIES})

    @property
    def present(self) -> dict[str, bool]:
        return {m: bool(self.features[m].shape[0] > 0) for m in MODALITIES}


@dataclass
class WindowScheduler:
    """Decides which windows of one stream are ready, from per-modality watermarks.

    ``active``: modalities this stream can ever produce (no video stream -> no vision);
    an inactive modality never holds a window back.
    """

    stream: str
    window_s: float
    hop_s: float
    active: Sequence[str] = MODALITIES
    min_tail_s: float = 0.25
    _watermark: dict[str, float] = field(default_factory=dict)
    _next_index: int = 0
    _ended_at: float | None = None
    _tail_done: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.window_s <= 0 or self.hop_s <= 0:
            raise ValueError("window_s and hop_s must be positive")
        self._watermark = {m: 0.0 for m in self.active}

    def advance(self, modality: str, t: float) -> None:
        """``modality``'s cache is complete up to stream time ``t``."""
        with self._lock:
            if modality in self._watermark and t > self._watermark[modality]:
                self._watermark[modality] = t

    def end(self, t_end: float) -> None:
        """The stream ended at ``t_end``: everything up to it is final."""
        with self._lock:
            self._ended_at = float(t_end)

    @property
    def ended(self) -> bool:
        return self._ended_at is not None

    def watermark(self) -> float:
        with self._lock:
            if self._ended_at is not None:
                return self._ended_at
            return min(self._watermark.values()) if self._watermark else math.inf

    def _make(self, index: int, t_end: float) -> Window:
        return Window(self.stream, index, max(0.0, t_end - self.window_s), t_end)

    def ready(self) -> list[Window]:
        """Windows that became ready since the last call, in order."""
        out: list[Window] = []
        mark = self.watermark()
        if math.isinf(mark):
            return out  # no active modality yet: only the stream's end decides
        with self._lock:
            while True:
                t_end = round((self._next_index + 1) * self.hop_s, 6)
                if self._ended_at is not None and t_end > self._ended_at + 1e-6:
                    break
                if self._ended_at is None and t_end > mark + 1e-9:
                    return out
                out.append(self._make(self._next_index, t_end))
                self._next_index += 1
            # ended: one last window for the leftover tail
            last_end = round(self._next_index * self.hop_s, 6)
            if not self._tail_done and self._ended_at - last_end >= self.min_tail_s:
                out.append(self._make(self._next_index, self._ended_at))
                self._next_index += 1
            self._tail_done = True
        return out


def slice_window(
    window: Window,
    caches: dict[str, SliceableCache | None],
    spec: FeatureSpec,
    evidence: EvidenceConfig | None = None,
) -> WindowInputs:
    """Slice each modality's cache for ``window``, normalise it as in training, and keep only the
    modalities that carry evidence (``engine/evidence.py``; the ``speech`` and ``face_checks`` caches)."""
    cfg = evidence or EvidenceConfig()
    feats: dict[str, np.ndarray] = {}
    for m in MODALITIES:
        cache = caches.get(m)
        dim = spec[m].dim
        if cache is None:
            feats[m] = np.zeros((0, dim), dtype=np.float32)
            continue
        _, values = cache.slice(window.t_start, window.t_end)
        values = np.asarray(values, dtype=np.float32).reshape(-1, dim)
        feats[m] = spec[m].normalise(values) if len(values) else values
    confidence: dict[str, float | None] = {}
    tracks = {"audio": caches.get("speech"), "vision": caches.get("face_checks")}
    for m in MODALITIES:
        track = tracks.get(m)
        if m == "text":
            conf: float | None = text_confidence(len(feats[m]), cfg)
        elif track is not None:
            _, values = track.slice(window.t_start, window.t_end)
            conf = voice_confidence(values, cfg) if m == "audio" else face_confidence(values, cfg)
        else:
            conf = None  # no evidence track: present when it has features, confidence unknown
        if conf is not None and conf <= 0.0:
            feats[m] = feats[m][:0]  # no evidence: absent (masked), never read as a reading
        confidence[m] = conf if len(feats[m]) else None
    return WindowInputs(window, feats, confidence)


def collate(inputs: Sequence[WindowInputs], spec: FeatureSpec) -> MSABatch:
    """Pad windows (of any streams) into one MSABatch with step masks and presence (the training padding)."""
    features, mask = pad_sequences([x.features for x in inputs], spec.dims)
    ids = [f"{x.window.stream}#{x.window.index}" for x in inputs]
    return MSABatch.build(features, mask, ids=ids)
