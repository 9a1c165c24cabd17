"""How much a face's mouth is moving: the spread of its opening over a short window.

Speaking opens and closes the mouth several times a second; listening holds it still (or open and
still: a smile, a yawn). So the signal is not the opening itself but how much it varies: the
standard deviation of ``mouth_open + jaw_open`` over ``window_s`` around each observation.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from streammsa.features.face_tracks import FaceObservation


@dataclass(frozen=True)
class MouthSample:
    track: int
    t: float
    motion: float


def opening(obs: FaceObservation) -> float:
    return obs.mouth_open + obs.jaw_open


class MouthMotion:
    """``push(obs)`` per observation in time order -> the samples whose window is complete (``window_s / 2``
    late); ``flush()`` at the end of the stream."""

    def __init__(self, window_s: float = 0.6) -> None:
        self.half = window_s / 2
        self._recent: dict[int, deque[tuple[float, float]]] = {}
        self._pending: dict[int, deque[float]] = {}

    def push(self, obs: FaceObservation) -> list[MouthSample]:
        recent = self._recent.setdefault(obs.track, deque())
        pending = self._pending.setdefault(obs.track, deque())
        recent.append((obs.t, opening(obs)))
        pending.append(obs.t)
        out = []
        while pending and pending[0] + self.half <= obs.t:
            out.append(self._sample(obs.track, pending.popleft()))
        while recent and recent[0][0] < obs.t - 2 * self.half - 1.0:
            recent.popleft()
        return out

    def flush(self) -> list[MouthSample]:
        out = [self._sample(track, t) for track, pend in self._pending.items() for t in pend]
        for pend in self._pending.values():
            pend.clear()
        return sorted(out, key=lambda s: s.t)

    def _sample(self, track: int, t: float) -> MouthSample:
        vals = [v for tt, v in self._recent[track] if abs(tt - t) <= self.half + 1e-6]
        return MouthSample(track, t, float(np.std(vals)) if len(vals) > 1 else 0.0)
