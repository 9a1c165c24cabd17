"""What diarization answers: speaker activity per frame on the stream clock, and speaker turns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.speakers.segmentation import FRAME_SIZE, FRAME_STEP, FRAME_STEP_S

# Frame j of the stream owns [FRAME_OFFSET_S + j * FRAME_STEP_S, + FRAME_STEP_S): centred on the samples it reads.
FRAME_OFFSET_S = (FRAME_SIZE - FRAME_STEP) / 2 / SAMPLE_RATE


def frame_start(j):
    """Stream time at which frame ``j`` (an int or an array of them) starts."""
    return FRAME_OFFSET_S + j * FRAME_STEP_S


def seconds_spoken(activity: np.ndarray, t0: float, t1: float, decided: int) -> dict[int, float]:
    """Seconds each speaker (column of ``activity``, frames from 0) speaks in [t0, t1), frames before
    ``decided`` only; speakers with none left out."""
    a, b = max(frame_at(t0), 0), min(frame_at(t1), decided)
    if b <= a:
        return {}
    secs = np.asarray(activity[a:b]).sum(axis=0) * FRAME_STEP_S
    return {int(s): float(secs[s]) for s in np.flatnonzero(secs)}


def frame_at(t: float) -> int:
    """The frame whose span holds stream time ``t`` (may be negative before the first frame)."""
    return int(np.floor((t - FRAME_OFFSET_S) / FRAME_STEP_S))


@dataclass(frozen=True)
class SpeakerTurn:
    start: float
    end: float
    speaker: int

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, float | int]:
        return {"speaker": self.speaker, "start": round(self.start, 3), "end": round(self.end, 3)}


def turns_from_activity(
    activity: np.ndarray, first_frame: int = 0, merge_gap_s: float = 0.0, min_turn_s: float = 0.0
) -> list[SpeakerTurn]:
    """Runs of active frames per speaker (column) as turns, sorted by start; short gaps bridged, short turns dropped."""
    act = np.asarray(activity, dtype=bool)
    turns: list[SpeakerTurn] = []
    for s in range(act.shape[1] if act.ndim == 2 else 0):
        col = np.concatenate([[False], act[:, s], [False]])
        edges = np.flatnonzero(np.diff(col.astype(np.int8)))
        runs = [
            [float(frame_start(first_frame + a)), float(frame_start(first_frame + b))]
            for a, b in zip(edges[::2], edges[1::2])
        ]
        merged: list[list[float]] = []
        for run in runs:
            if merged and run[0] - merged[-1][1] < merge_gap_s:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        turns += [SpeakerTurn(a, b, s) for a, b in merged if b - a >= min_turn_s]
    return sorted(turns, key=lambda tr: (tr.start, tr.speaker))


@dataclass
class Diarization:
    """Speaker activity per frame from ``first_frame`` on (``activity``: (T, S) bool) and its turns."""

    activity: np.ndarray
    first_frame: int = 0
    turns: list[SpeakerTurn] = field(default_factory=list)

    @property
    def speakers(self) -> list[int]:
        return sorted({t.speaker for t in self.turns})

    @property
    def end(self) -> float:
        """Stream time up to which this diarization is final."""
        return float(frame_start(self.first_frame + len(self.activity)))

    def speaking(self, t0: float, t1: float) -> dict[int, float]:
        """Seconds each speaker speaks in [t0, t1), from the turns (speakers with none are left out)."""
        out: dict[int, float] = {}
        for t in self.turns:
            overlap = min(t.end, t1) - max(t.start, t0)
            if overlap > 0:
                out[t.speaker] = out.get(t.speaker, 0.0) + overlap
        return out
