"""Who spoke when, as far as the diarizer has decided: an append-only record the engine loop can read.

The participants worker owns the diarizer and copies each newly final stretch of its per-frame speaker
activity here; the engine loop (another thread) asks which speaker a voice frame or a word belongs to.
Final frames never change, so a reader never sees a decision taken back.
"""

from __future__ import annotations

import threading

import numpy as np

from streammsa.speakers.segmentation import FRAME_STEP_S
from streammsa.speakers.turns import frame_at, frame_start


class SpeakerActivity:
    def __init__(self, max_speakers: int = 8) -> None:
        self._lock = threading.Lock()
        self._rows = np.zeros((0, max_speakers), dtype=bool)
        self._n = 0
        self._speakers = 0  # 1 + the highest speaker heard so far

    def extend(self, rows: np.ndarray) -> None:
        """Append the next final frames ((T, S) bool, S <= max_speakers)."""
        rows = np.asarray(rows, dtype=bool)
        if not len(rows):
            return
        with self._lock:
            need = self._n + len(rows)
            if need > len(self._rows):  # grow geometrically: appends stay cheap over a long meeting
                grown = np.zeros((max(need, 2 * len(self._rows), 1024), self._rows.shape[1]), dtype=bool)
                grown[: self._n] = self._rows[: self._n]
                self._rows = grown
            self._rows[self._n : need, : rows.shape[1]] = rows
            self._n = need
            heard = np.flatnonzero(rows.any(axis=0))
            if heard.size:
                self._speakers = max(self._speakers, int(heard[-1]) + 1)

    @property
    def frames(self) -> int:
        with self._lock:
            return self._n

    @property
    def final_until(self) -> float:
        """Stream time up to which speakers are decided."""
        with self._lock:
            return float(frame_start(self._n)) if self._n else 0.0

    @property
    def num_speakers(self) -> int:
        with self._lock:
            return self._speakers

    def speaking(self, t0: float, t1: float) -> dict[int, float]:
        """Seconds each speaker speaks in [t0, t1) (decided frames, speakers with none left out)."""
        secs = self.seconds(t0, t1)
        return {int(s): float(secs[s]) for s in np.flatnonzero(secs)}

    def speaking_at(self, speaker: int, times: np.ndarray) -> np.ndarray:
        """Whether ``speaker`` speaks at each of ``times`` (False where undecided)."""
        idx = np.floor((np.asarray(times, dtype=np.float64) - float(frame_start(0))) / FRAME_STEP_S).astype(np.int64)
        with self._lock:
            ok = (idx >= 0) & (idx < self._n)
            out = np.zeros(len(idx), dtype=bool)
            if speaker < self._rows.shape[1]:
                out[ok] = self._rows[idx[ok], speaker]
        return out

    def seconds(self, t0: float, t1: float) -> np.ndarray:
        """Seconds each speaker (column) speaks in [t0, t1), decided frames only."""
        with self._lock:
            a, b = max(frame_at(t0), 0), min(frame_at(t1), self._n)
            if b <= a:
                return np.zeros(self._rows.shape[1])
            return self._rows[a:b].sum(axis=0) * FRAME_STEP_S

    def main_speaker(self, t0: float, t1: float) -> int | None:
        """Who speaks most in [t0, t1) (a word's span), or None when nobody does there."""
        secs = self.seconds(t0, t1)
        return int(np.argmax(secs)) if secs.size and secs.max() > 0 else None
