"""Counting speakers per frame, cutting pieces, giving short pieces and overlaps their voices, and turns."""

from __future__ import annotations

import numpy as np

from streammsa.speakers.counting import SpeakerCounter
from streammsa.speakers.labelling import paint, voices
from streammsa.speakers.pieces import Piece, PieceCutter
from streammsa.speakers.segmentation import FRAME_STEP_S
from streammsa.speakers.turns import frame_at, frame_start, turns_from_activity


def test_count_is_the_rounded_mean_over_the_windows_that_saw_a_frame():
    c = SpeakerCounter()
    one = np.zeros((10, 3), np.float32)
    one[:, 0] = 1
    two = one.copy()
    two[:, 1] = 1
    c.add(0, one)
    c.add(0, two)
    c.add(0, two)  # frames 0-9: counts 1, 2, 2 -> mean 1.67 -> 2
    c.add(5, one)  # frames 5-14 also see one speaker: frames 5-9 mean 1.5 -> 2 (round half to even), 10-14 -> 1
    counts = c.finalise(15)
    assert list(counts[:5]) == [2] * 5 and list(counts[10:]) == [1] * 5
    assert c.base == 15
    c.add(0, two)  # frames already final never change
    assert len(c.finalise(15)) == 0


def test_solo_pieces_end_at_pauses_overlaps_and_the_length_cap():
    cap = 1.0
    n_cap = int(round(cap / FRAME_STEP_S))
    counts = np.array([0] * 5 + [1] * (n_cap + 10) + [2] * 8 + [1] * 20 + [0] * 3 + [1] * 4, dtype=np.int8)
    cut = PieceCutter(cap)
    pieces = cut.push(counts[:50]) + cut.push(counts[50:]) + cut.flush()
    assert [p.overlap for p in pieces] == [False, False, True, False, False]
    assert pieces[0] == Piece(5, 5 + n_cap, False)  # capped
    assert pieces[1].first == 5 + n_cap and pieces[2].first == pieces[1].stop  # no frame lost
    assert pieces[-1].stop == len(counts)


def test_overlap_takes_the_voices_before_and_after_and_short_pieces_their_neighbour():
    pieces = [Piece(0, 60, False), Piece(60, 70, True), Piece(70, 130, False), Piece(130, 135, False)]
    labels = [0, -1, 1, -1]
    assert voices(pieces, labels, 1, max_gap=100) == (0, 1)
    assert voices(pieces, labels, 3, max_gap=100) == (1,)  # touches speaker 1's piece
    act = np.zeros((140, 2), bool)
    for i, p in enumerate(pieces):
        paint(act, 0, p, voices(pieces, labels, i, 100))
    assert act[65].all() and act[100, 1] and not act[100, 0]


def test_turns_bridge_short_gaps_and_drop_blips():
    act = np.zeros((400, 2), bool)
    act[10:100, 0] = True
    act[105:200, 0] = True  # 5-frame gap (84 ms): bridged at merge_gap 0.3 s
    act[300:303, 1] = True  # 3 frames: dropped at min_turn 0.2 s
    turns = turns_from_activity(act, 0, merge_gap_s=0.3, min_turn_s=0.2)
    assert len(turns) == 1 and turns[0].speaker == 0
    assert abs(turns[0].start - frame_start(10)) < 1e-9 and abs(turns[0].end - frame_start(200)) < 1e-9
    assert frame_at(frame_start(123) + 1e-4) == 123
