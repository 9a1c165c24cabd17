"""Voices of the pieces that have no voice print of their own: short solo pieces and overlaps.

A short solo piece takes the voice of the solo piece it touches (no pause between), else of the
nearest one within ``max_gap`` frames. An overlap piece takes the voices of the labelled solo
pieces just before and just after it (overlaps are mostly one person starting before another
has finished).
"""

from __future__ import annotations

import numpy as np

from streammsa.speakers.pieces import Piece


def _nearest(i: int, pieces: list[Piece], labels: list[int], step: int, max_gap: int) -> int:
    """Label of the nearest labelled solo piece from ``i`` in direction ``step`` (±1) within ``max_gap``."""
    j = i + step
    while 0 <= j < len(pieces):
        gap = pieces[j].first - pieces[i].stop if step > 0 else pieces[i].first - pieces[j].stop
        if gap > max_gap:
            return -1
        if not pieces[j].overlap and labels[j] >= 0:
            return labels[j]
        j += step
    return -1


def voices(pieces: list[Piece], labels: list[int], i: int, max_gap: int) -> tuple[int, ...] | None:
    """Speakers of piece ``i``: () when unknown, None when its next neighbour may still come (online)."""
    if labels[i] >= 0:
        return (labels[i],)
    before = _nearest(i, pieces, labels, -1, max_gap)
    after = _nearest(i, pieces, labels, +1, max_gap)
    if pieces[i].overlap:
        return tuple(sorted({v for v in (before, after) if v >= 0}))
    touching_before = i > 0 and pieces[i - 1].stop == pieces[i].first and before >= 0
    if touching_before:
        return (before,)
    if after >= 0 and (before < 0 or pieces[i + 1].first - pieces[i].stop <= pieces[i].first - pieces[i - 1].stop):
        return (after,)
    return (before,) if before >= 0 else ()


def paint(activity: np.ndarray, first_frame: int, piece: Piece, speakers: tuple[int, ...]) -> None:
    """Mark ``speakers`` active over ``piece`` in ``activity`` (rows are stream frames from ``first_frame``)."""
    for s in speakers:
        activity[piece.first - first_frame : piece.stop - first_frame, s] = True
