"""Cutting counted frames into pieces: one voice alone (to be identified by its voice print) or overlap.

A *solo* piece is a run of frames with exactly one speaker, ended by a pause, by overlap, or at
``max_s`` (so a change of speaker without a pause costs at most one mixed piece). An *overlap*
piece is a run of frames with two or more speakers; it takes the voices of its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streammsa.speakers.segmentation import FRAME_STEP_S


@dataclass(frozen=True)
class Piece:
    first: int  # stream frame
    stop: int  # one past the last frame
    overlap: bool

    @property
    def seconds(self) -> float:
        return (self.stop - self.first) * FRAME_STEP_S


class PieceCutter:
    """``push(counts)``: frames in stream order -> the pieces they close; ``flush()``: close the open one."""

    def __init__(self, max_s: float) -> None:
        self.max_frames = max(1, int(round(max_s / FRAME_STEP_S)))
        self.next_frame = 0
        self._open: tuple[int, int] | None = None  # (first frame, kind: 1 solo, 2 overlap)

    def push(self, counts: np.ndarray) -> list[Piece]:
        out: list[Piece] = []
        for c in np.asarray(counts):
            kind = min(int(c), 2)
            f = self.next_frame
            if self._open is not None:
                first, open_kind = self._open
                if kind != open_kind or (open_kind == 1 and f - first >= self.max_frames):
                    out.append(Piece(first, f, open_kind == 2))
                    self._open = None
            if self._open is None and kind > 0:
                self._open = (f, kind)
            self.next_frame += 1
        return out

    @property
    def open_first(self) -> int | None:
        """First frame of the piece still open (not final), if any."""
        return None if self._open is None else self._open[0]

    def flush(self) -> list[Piece]:
        if self._open is None:
            return []
        first, kind = self._open
        self._open = None
        return [Piece(first, self.next_frame, kind == 2)] if self.next_frame > first else []
