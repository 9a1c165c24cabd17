"""Feature caches on the stream clock: every frame, audio hop and committed segment is encoded once.

Windows overlap (4 s windows every 1 s by default), so the engine never calls an
extractor per window: extractor workers append each result once, and each window
only *slices* the cache. Both caches are thread-safe (capture/feature workers
append while the engine slices) and bounded: entries older than ``horizon_s``
behind the newest one are evicted.

- ``FeatureCache``: per-step features (audio frames, face frames, or text tokens).
- ``TextSegmentCache``: committed ASR segments keyed by segment id; committing the
  same segment again (same words and times) reuses its encoding instead of re-encoding.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Hashable, Protocol, Sequence

import numpy as np

from streammsa.features.timed import TimedFeatures


class FeatureCache:
    """Time-ordered (t, vector) entries for one modality, sliced by window.

    ``append``/``append_many`` take times on the stream clock; times must not go
    backwards (a producer emits in order). ``slice(t0, t1)`` returns the entries with
    ``t0 <= t < t1``. Counters: ``appended`` (entries ever added, i.e. computed
    once each), ``evicted``, ``slices`` (windows served).
    """

    def __init__(self, dim: int, horizon_s: float = 30.0, name: str = "") -> None:
        if dim <= 0:
            raise ValueError(f"FeatureCache dim must be positive, got {dim}")
        if horizon_s <= 0:
            raise ValueError(f"FeatureCache horizon_s must be positive, got {horizon_s}")
        self.dim = dim
        self.horizon_s = float(horizon_s)
        self.name = name
        self._lock = threading.Lock()
        # Growable ring-free storage: live entries are [_start, _end); compacted when half is dead.
        self._times = np.zeros(256, dtype=np.float64)
        self._values = np.zeros((256, dim), dtype=np.float32)
        self._start = 0
        self._end = 0
        self.appended = 0
        self.evicted = 0
        self.slices = 0

    def __len__(self) -> int:
        with self._lock:
            return self._end - self._start

    @property
    def latest_time(self) -> float | None:
        """Time of the newest entry, or None when empty."""
        with self._lock:
            return float(self._times[self._end - 1]) if self._end > self._start else None

    @property
    def oldest_time(self) -> float | None:
        with self._lock:
            return float(self._times[self._start]) if self._end > self._start else None

    def append(self, t: float, vector: np.ndarray) -> None:
        self.append_many(np.asarray([t], dtype=np.float64), np.asarray(vector, dtype=np.float32).reshape(1, -1))

    def append_many(self, times: np.ndarray, values: np.ndarray) -> None:
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 2 or values.shape != (times.shape[0], self.dim):
            raise ValueError(
                f"{self.name or 'cache'}: expected values of shape ({times.shape[0]}, {self.dim}), got {values.shape}"
            )
        n = times.shape[0]
        if n == 0:
            return
        if np.any(np.diff(times) < 0):
            raise ValueError(f"{self.name or 'cache'}: times must be non-decreasing")
        with self._lock:
            if self._end > self._start and times[0] < self._times[self._end - 1]:
                raise ValueError(
                    f"{self.name or 'cache'}: time {times[0]:.3f}s is before the newest cached entry "
                    f"{self._times[self._end - 1]:.3f}s; producers must append in stream order"
                )
            self._reserve(n)
            self._times[self._end : self._end + n] = times
            self._values[self._end : self._end + n] = values
            self._end += n
            self.appended += n
            self._evict_locked(float(times[-1]) - self.horizon_s)

    def extend(self, features: TimedFeatures) -> None:
        """Append a whole ``TimedFeatures`` (e.g. what a streaming extractor just produced)."""
        self.append_many(features.times, features.values)

    def slice(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """(times (N,), values (N, dim)) with ``t0 <= t < t1``; copies, safe to keep."""
        with self._lock:
            times = self._times[self._start : self._end]
            i0 = int(np.searchsorted(times, t0, side="left"))
            i1 = int(np.searchsorted(times, t1, side="left"))
            self.slices += 1
            a, b = self._start + i0, self._start + max(i0, i1)
            return self._times[a:b].copy(), self._values[a:b].copy()

    def window(self, t0: float, t1: float) -> TimedFeatures:
        """``slice`` as a ``TimedFeatures``."""
        return TimedFeatures(*self.slice(t0, t1))

    def evict_before(self, t: float) -> int:
        """Drop entries older than ``t`` (besides the automatic horizon); returns how many."""
        with self._lock:
            return self._evict_locked(t)

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {
                "appended": self.appended,
                "evicted": self.evicted,
                "slices": self.slices,
                "cached": self._end - self._start,
            }

    def _evict_locked(self, cutoff: float) -> int:
        times = self._times[self._start : self._end]
        k = int(np.searchsorted(times, cutoff, side="left"))
        self._start += k
        self.evicted += k
        return k

    def _reserve(self, n: int) -> None:
        cap = self._times.shape[0]
        if self._end + n <= cap:
            return
        live = self._end - self._start
        new_cap = cap
        while live + n > new_cap // 2:  # keep at least half free so compaction stays amortised O(1)
            new_cap *= 2
        times = np.zeros(new_cap, dtype=np.float64)
        values = np.zeros((new_cap, self.dim), dtype=np.float32)
        times[:live] = self._times[self._start : self._end]
        values[:live] = self._values[self._start : self._end]
        self._times, self._values = times, values
        self._start, self._end = 0, live


class WordLike(Protocol):
    """A committed ASR word: text ``w`` and its ``start``/``end`` in seconds on the stream clock."""

    w: str
    start: float
    end: float


class WordEncoder(Protocol):
    def encode_words(self, words: Sequence[Any]) -> TimedFeatures: ...


@dataclass(frozen=True)
class _Segment:
    key: tuple
    features: TimedFeatures
    end: float


class TextSegmentCache:
    """Token features of committed ASR segments, keyed by segment id, sliced by window.

    ``commit(segment_id, words)`` encodes the segment's words once (tokens timed by
    their word, see ``TextEncoder.encode_words``). Committing the same id again with
    the same words and times returns the stored encoding; with different words it
    re-encodes and replaces it (a corrected segment). ``slice(t0, t1)`` returns the
    tokens of all cached segments with ``t0 <= t < t1`` in time order. Segments that
    ended more than ``horizon_s`` before the newest one are evicted.
    Counters: ``encoded`` (segments encoded), ``reused`` (re-commits served from cache).
    """

    def __init__(self, encoder: WordEncoder, dim: int, horizon_s: float = 30.0) -> None:
        self.encoder = encoder
        self.dim = dim
        self.horizon_s = float(horizon_s)
        self._lock = threading.Lock()
        self._segments: dict[Hashable, _Segment] = {}
        self.encoded = 0
        self.reused = 0
        self.slices = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._segments)

    def __contains__(self, segment_id: Hashable) -> bool:
        with self._lock:
            return segment_id in self._segments

    def commit(self, segment_id: Hashable, words: Sequence[WordLike]) -> TimedFeatures:
        key = tuple((str(w.w), round(float(w.start), 3), round(float(w.end), 3)) for w in words)
        with self._lock:
            seg = self._segments.get(segment_id)
            if seg is not None and seg.key == key:
                self.reused += 1
                return seg.features
        # Encode outside the lock: slicing must not wait for the text model.
        feats = self.encoder.encode_words(words) if words else TimedFeatures.empty(self.dim)
        end = max((float(w.end) for w in words), default=float("-inf"))
        with self._lock:
            self._segments[segment_id] = _Segment(key, feats, end)
            self.encoded += 1
            newest = max(s.end for s in self._segments.values())
            for sid in [sid for sid, s in self._segments.items() if s.end < newest - self.horizon_s]:
                del self._segments[sid]
        return feats

    def slice(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """(times (N,), values (N, dim)) of cached tokens with ``t0 <= t < t1``, time-ordered."""
        with self._lock:
            parts = []
            for seg in self._segments.values():
                f = seg.features
                if not len(f):
                    continue
                keep = (f.times >= t0) & (f.times < t1)
                if keep.any():
                    parts.append(TimedFeatures(f.times[keep], f.values[keep]))
            self.slices += 1
        merged = TimedFeatures.concat(parts, self.dim)
        order = np.argsort(merged.times, kind="stable")
        return merged.times[order], merged.values[order]

    def window(self, t0: float, t1: float) -> TimedFeatures:
        return TimedFeatures(*self.slice(t0, t1))

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {
                "encoded": self.encoded,
                "reused": self.reused,
                "slices": self.slices,
                "cached": len(self._segments),
            }
