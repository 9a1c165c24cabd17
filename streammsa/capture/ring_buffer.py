"""Timestamped ring buffers with bounded memory, shared between a capture thread and workers.

``AudioRing``: float32 mono 16 kHz samples on the stream clock, preallocated to
``capacity_s``; ``append(samples, t_start)``; ``read(t0, t1)``. When full, the oldest
samples are overwritten and counted in ``.dropped`` (samples). A chunk that starts after
the expected next sample (a capture gap) is padded with silence so that sample index and
stream time stay locked together; a chunk that overlaps what is stored is trimmed.

``FrameRing``: the last ``capacity`` (t, RGB uint8 frame) pairs; older ones are dropped
and counted in ``.dropped`` (frames).

Both are thread-safe (one lock each); reads return copies.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE

# A capture gap longer than this is not padded (it would only fill the ring with zeros):
# the ring restarts its timeline at the new chunk instead.
MAX_PAD_S = 5.0


class AudioRing:
    def __init__(self, capacity_s: float = 60.0, sample_rate: int = SAMPLE_RATE) -> None:
        if capacity_s <= 0:
            raise ValueError("capacity_s must be positive")
        self.sample_rate = sample_rate
        self.capacity = int(round(capacity_s * sample_rate))
        self._buf = np.zeros(self.capacity, dtype=np.float32)
        self._lock = threading.Lock()
        self._origin: float | None = None  # stream time of absolute sample index 0
        self._written = 0  # absolute index one past the newest sample
        self.dropped = 0  # samples overwritten before anyone could read them (or skipped gaps)

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes

    def _index(self, t: float) -> int:
        assert self._origin is not None
        return int(round((t - self._origin) * self.sample_rate))

    def append(self, samples: np.ndarray, t_start: float) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        with self._lock:
            if self._origin is None:
                self._origin = t_start
            start = self._index(t_start)
            if start > self._written:
                gap = start - self._written
                if gap > MAX_PAD_S * self.sample_rate:
                    # Long outage: restart the timeline rather than write seconds of zeros.
                    self.dropped += min(self._written, self.capacity)
                    self._origin, self._written, start = t_start, 0, 0
                else:
                    self._write(np.zeros(gap, dtype=np.float32))
            elif start < self._written:
                x = x[self._written - start:]  # overlap with what we already hold
            if len(x):
                self._write(x)

    def _write(self, x: np.ndarray) -> None:
        n = len(x)
        if n > self.capacity:
            self.dropped += n - self.capacity
            self._written += n - self.capacity
            x = x[-self.capacity:]
            n = len(x)
        overwritten = max(0, self._written + n - self.capacity) - max(0, self._written - self.capacity)
        self.dropped += overwritten
        pos = self._written % self.capacity
        first = min(n, self.capacity - pos)
        self._buf[pos:pos + first] = x[:first]
        if first < n:
            self._buf[: n - first] = x[first:]
        self._written += n

    def span(self) -> tuple[float, float]:
        """(oldest, newest) stream time held; (0, 0) when empty."""
        with self._lock:
            if self._origin is None:
                return (0.0, 0.0)
            oldest = max(0, self._written - self.capacity)
            return (self._origin + oldest / self.sample_rate, self._origin + self._written / self.sample_rate)

    def read(self, t0: float, t1: float) -> np.ndarray:
        """Samples in [t0, t1) that are still held (clipped to what is available; a copy)."""
        with self._lock:
            if self._origin is None or t1 <= t0:
                return np.zeros(0, dtype=np.float32)
            lo = max(self._index(t0), self._written - self.capacity, 0)
            hi = min(self._index(t1), self._written)
            if hi <= lo:
                return np.zeros(0, dtype=np.float32)
            a, b = lo % self.capacity, hi % self.capacity
            if a < b:
                return self._buf[a:b].copy()
            return np.concatenate([self._buf[a:], self._buf[:b]])

    def read_from(self, t0: float) -> tuple[float, np.ndarray]:
        """Everything from ``t0`` (or the oldest held sample) to the newest: (start time, samples)."""
        with self._lock:
            if self._origin is None:
                return (t0, np.zeros(0, dtype=np.float32))
            newest = self._origin + self._written / self.sample_rate
            oldest = self._origin + max(0, self._written - self.capacity) / self.sample_rate
        start = max(t0, oldest)
        return (start, self.read(start, newest))


class FrameRing:
    def __init__(self, capacity: int = 250) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._items: deque[tuple[float, np.ndarray]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.dropped = 0

    def append(self, frame: np.ndarray, t: float) -> None:
        with self._lock:
            if len(self._items) == self.capacity:
                self.dropped += 1
            self._items.append((t, frame))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def latest(self) -> tuple[float, np.ndarray] | None:
        with self._lock:
            return self._items[-1] if self._items else None

    def read(self, t0: float, t1: float) -> list[tuple[float, np.ndarray]]:
        """Frames with t0 <= t < t1, oldest first."""
        with self._lock:
            items = list(self._items)
        times = [t for t, _ in items]
        return items[bisect.bisect_left(times, t0): bisect.bisect_left(times, t1)]

    def nearest(self, t: float) -> tuple[float, np.ndarray] | None:
        with self._lock:
            if not self._items:
                return None
            return min(self._items, key=lambda item: abs(item[0] - t))
