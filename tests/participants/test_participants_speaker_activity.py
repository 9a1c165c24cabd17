"""SpeakerActivity: the append-only record of decided speaker activity, on the diarizer's frame grid."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from streammsa.participants.speaker_activity import SpeakerActivity
from streammsa.speakers.segmentation import FRAME_STEP_S
from streammsa.speakers.turns import frame_start


def _rows(n: int, turns: dict[int, list[tuple[int, int]]], speakers: int = 4) -> np.ndarray:
    """(n, speakers) bool with speaker s active on frames [a, b) of each of its turns."""
    rows = np.zeros((n, speakers), dtype=bool)
    for s, spans in turns.items():
        for a, b in spans:
            rows[a:b, s] = True
    return rows


def _mid(j) -> np.ndarray:
    """Stream time of the middle of frame(s) ``j``."""
    return frame_start(np.asarray(j)) + FRAME_STEP_S / 2


def test_nothing_is_decided_at_first():
    a = SpeakerActivity()
    assert (a.frames, a.final_until, a.num_speakers) == (0, 0.0, 0)
    assert a.speaking(0.0, 10.0) == {} and a.main_speaker(0.0, 10.0) is None
    assert not a.speaking_at(0, np.array([0.1, 1.0])).any()
    np.testing.assert_array_equal(a.seconds(0.0, 10.0), np.zeros(8))
    a.extend(np.zeros((0, 3), dtype=bool))  # an empty stretch changes nothing
    assert a.frames == 0


def test_extend_and_what_it_answers_on_the_frame_grid():
    a = SpeakerActivity(max_speakers=8)
    rows = _rows(400, {0: [(10, 100), (300, 350)], 1: [(90, 200)], 2: []})
    a.extend(rows[:150])
    assert a.frames == 150 and a.final_until == pytest.approx(frame_start(150))
    assert a.num_speakers == 2  # speaker 2's column exists but nobody heard it
    a.extend(rows[150:])
    assert a.frames == 400 and a.final_until == frame_start(400)

    # speaking_at: each frame's own span, False before the first frame, on silence, past the decided frames
    j = np.arange(400)
    np.testing.assert_array_equal(a.speaking_at(0, _mid(j)), rows[:, 0])
    np.testing.assert_array_equal(a.speaking_at(1, frame_start(j) + 1e-6), rows[:, 1])  # a frame's first instant
    np.testing.assert_array_equal(a.speaking_at(1, frame_start(j + 1) - 1e-6), rows[:, 1])  # and its last
    assert not a.speaking_at(0, np.array([0.0, frame_start(0) - 1e-6, _mid(400), _mid(10_000)])).any()
    assert not a.speaking_at(7, _mid(j)).any() and not a.speaking_at(20, _mid(j)).any()

    # seconds over [t0, t1): the frames from the one holding t0 up to the one holding t1
    secs = a.seconds(_mid(50), _mid(150))
    np.testing.assert_allclose(secs[:3], [50 * FRAME_STEP_S, 60 * FRAME_STEP_S, 0.0])
    assert secs.shape == (8,) and not secs[3:].any()
    np.testing.assert_allclose(a.seconds(-5.0, 1e6)[:2], [140 * FRAME_STEP_S, 110 * FRAME_STEP_S])
    assert not a.seconds(_mid(200), _mid(300)).any()  # silence
    assert not a.seconds(_mid(380), _mid(900)).any()  # past the decided frames nothing is counted
    assert not a.seconds(_mid(60), _mid(60)).any()  # an empty span
    assert a.speaking(_mid(50), _mid(150)) == pytest.approx({0: 50 * FRAME_STEP_S, 1: 60 * FRAME_STEP_S})

    # main_speaker: who speaks most in a span; None where nobody does
    assert a.main_speaker(_mid(80), _mid(112)) == 1  # frames 80-111: 0 speaks 20 of them, 1 speaks 22
    assert a.main_speaker(_mid(80), _mid(105)) == 0  # frames 80-104: 0 speaks 20, 1 speaks 15
    assert a.main_speaker(_mid(80), _mid(110)) == 0  # a tie (20 and 20) goes to the lower speaker
    assert a.main_speaker(_mid(150), _mid(250)) == 1
    assert a.main_speaker(_mid(200), _mid(300)) is None
    assert a.main_speaker(_mid(500), _mid(600)) is None


def test_num_speakers_counts_up_to_the_highest_speaker_heard():
    a = SpeakerActivity(max_speakers=8)
    a.extend(_rows(50, {1: [(0, 10)]}, speakers=2))
    assert a.num_speakers == 2  # speaker 0 not heard yet still counts below speaker 1
    a.extend(_rows(50, {}, speakers=8))
    assert a.num_speakers == 2
    a.extend(_rows(50, {5: [(20, 30)], 0: [(0, 5)]}, speakers=6))
    assert a.num_speakers == 6 and a.frames == 150
    assert a.speaking_at(5, _mid([119, 120, 129, 130])).tolist() == [False, True, True, False]


def test_growth_past_the_initial_buffer_keeps_every_frame():
    a = SpeakerActivity(max_speakers=3)
    n = 5000  # well past the first buffer (1024 frames): grows several times
    rng = np.random.default_rng(7)
    rows = rng.random((n, 3)) < 0.3
    done = 0
    for size in [1, 1023, 1, 1, 700, 2000, 1274]:
        a.extend(rows[done : done + size])
        done += size
        assert a.frames == done
        for s in range(3):
            np.testing.assert_array_equal(a.speaking_at(s, _mid(np.arange(done))), rows[:done, s])
    assert done == n
    np.testing.assert_allclose(a.seconds(0.0, frame_start(n)), rows.sum(axis=0) * FRAME_STEP_S)


def _pattern(n: int) -> np.ndarray:
    """Frame j: exactly one of speakers 0-2 (turns of 37 frames), and speaker 3 on every 5th frame."""
    rows = np.zeros((n, 4), dtype=bool)
    j = np.arange(n)
    rows[j, (j // 37) % 3] = True
    rows[j % 5 == 0, 3] = True
    return rows


def test_a_reader_during_extends_never_sees_a_torn_state():
    n = 60_000
    rows = _pattern(n)
    a = SpeakerActivity(max_speakers=4)
    done = threading.Event()
    problems: list[str] = []
    reads, partial = [0], [0]

    def reader() -> None:
        last = (0, 0.0, 0, np.zeros(4))
        while not done.is_set() or reads[0] == 0:
            frames, until, speakers = a.frames, a.final_until, a.num_speakers
            secs = a.seconds(-1.0, 1e9)  # one consistent read of everything decided so far
            k = int(round(secs[:3].sum() / FRAME_STEP_S))  # frames in that read (one of 0-2 speaks in each)
            if k < frames:
                problems.append(f"seconds saw {k} frames after frames said {frames}")
            if not np.allclose(secs, rows[:k].sum(axis=0) * FRAME_STEP_S):
                problems.append(f"seconds of {k} frames {secs} do not match the frames written")
            if frames < last[0] or until < last[1] or speakers < last[2]:
                problems.append(f"went back: {(frames, until, speakers)} after {last[:3]}")
            if np.any(secs < last[3] - 1e-9):
                problems.append("a speaker's decided seconds went down")
            if frames:  # decided frames never change: what final_until covers reads as written
                probe = np.linspace(0, frames - 1, 64).astype(int)
                for s in range(4):
                    if not np.array_equal(a.speaking_at(s, _mid(probe)), rows[probe, s]):
                        problems.append(f"speaker {s} changed on decided frames")
            last = (frames, until, speakers, secs)
            reads[0] += 1
            partial[0] += 0 < frames < n

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: reads land between (and within) the extends
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        rng = np.random.default_rng(3)
        i = 0
        while i < n:
            size = int(rng.integers(1, 60))
            a.extend(rows[i : i + size])
            i += size
            time.sleep(0)  # let the reader in between extends too
    finally:
        done.set()
        thread.join(timeout=60)
        sys.setswitchinterval(switch)
    assert not thread.is_alive()
    assert not problems, problems[:5]
    assert partial[0] >= 10, f"only {partial[0]} of {reads[0]} reads came while the writer was extending"
    assert a.frames == n and a.num_speakers == 4
    np.testing.assert_allclose(a.seconds(-1.0, 1e9), rows.sum(axis=0) * FRAME_STEP_S)
