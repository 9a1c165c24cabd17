"""ParticipantWords: the room's committed words handed to each participant's stream once their speaker is decided.

Driven by hand through a real Meeting: decided speaker activity (``Meeting.heard``), faces (``Meeting.seen``)
and the directory brought up to date (``Meeting.refresh``), as the participant workers drive it."""

from __future__ import annotations

import numpy as np

from streammsa.asr.words import Word
from streammsa.monitor.meeting import WORD_REACH_S, Meeting
from streammsa.monitor.participant_words import ParticipantWords
from streammsa.speakers.turns import frame_start


def _rows(first: int, stop: int, turns: dict[int, list[tuple[int, int]]], speakers: int = 3) -> np.ndarray:
    """Frames [first, stop) with speaker s active on the frames [a, b) of each of its turns (absolute numbers)."""
    rows = np.zeros((stop - first, speakers), dtype=bool)
    for s, spans in turns.items():
        for a, b in spans:
            rows[min(max(a, first), stop) - first : min(max(b, first), stop) - first, s] = True
    return rows


def _said(events) -> list[tuple[str, str]]:
    return [(e.stream, e.text) for e in events]


# voice 0: frames 60-299 (1.0-5.1 s) and 600-699 (10.1-11.8 s); voice 1: 400-499 (6.8-8.5 s)
TURNS = {0: [(60, 300), (600, 700)], 1: [(400, 500)]}
WORDS = [
    Word("good", 1.5, 1.8),  # voice 0
    Word("morning", 1.8, 2.3),  # voice 0
    Word("all", 2.8, 3.1),  # voice 0
    Word("hi", 6.9, 7.2),  # voice 1
    Word("there", 7.3, 7.7),  # voice 1
    Word("ok", 9.5, 9.8),  # nobody speaks around it
    Word("so", 10.5, 10.8),  # voice 0 again
    Word("yes", 11.0, 11.2),  # voice 0
]


def _decide(m: Meeting, first: int, stop: int, t: float) -> None:
    """The speakers worker: frames [first, stop) decided, then the participant streams brought up to date."""
    m.heard(_rows(first, stop, TURNS), first)
    m.refresh(t, lambda ev: None)


def test_words_wait_until_decided_and_go_out_as_runs_of_one_stream():
    m = Meeting(has_video=False)  # nobody seen: each voice is a participant as soon as it is heard
    pw = ParticipantWords(m)
    _decide(m, 0, 200, 3.4)  # decided up to frame 200
    until = m.activity.final_until
    assert until == frame_start(200) and 2.95 + WORD_REACH_S <= until < 7.05 + WORD_REACH_S

    events = pw.take(WORDS[:3])
    assert _said(events) == [("p1", "good morning all")]
    e = events[0]
    assert (e.kind, e.t_start, e.t_end) == ("committed", 1.5, 3.1)
    assert e.words == [{"w": w.w, "start": w.start, "end": w.end, "p": w.p} for w in WORDS[:3]]

    assert pw.take(WORDS[:6]) == []  # "hi", "there", "ok": their speakers are not decided yet
    _decide(m, 200, 800, 13.5)
    assert m.directory.stream_of_voice() == {0: "p1", 1: "p2"}
    events = pw.take(WORDS)  # the held words and the new ones, in order, one message per run
    assert _said(events) == [("p2", "hi there"), ("p1", "so yes")]  # "ok": nobody speaks it
    assert [w["w"] for e in events for w in e.words] == ["hi", "there", "so", "yes"]
    assert (events[0].t_start, events[0].t_end) == (6.9, 7.7)
    assert pw.take(WORDS) == [] and pw.take(WORDS, done=True) == []  # each word goes out once; "ok" never


def test_one_persons_words_around_anothers_are_two_runs():
    m = Meeting(has_video=False)
    _decide(m, 0, 800, 13.5)
    events = ParticipantWords(m).take(WORDS)
    assert _said(events) == [("p1", "good morning all"), ("p2", "hi there"), ("p1", "so yes")]


def test_a_word_spoken_just_outside_a_turn_is_reached():
    m = Meeting(has_video=False)
    pw = ParticipantWords(m)
    _decide(m, 0, 800, 13.5)
    end = frame_start(300)  # voice 0 stops here
    near = Word("right", end + 0.2, end + 0.3)  # midpoint 0.25 s after: within reach
    far = Word("um", end + 0.4, end + 0.5)  # 0.45 s after (and 1.2 s before voice 1): nobody
    assert (m.speaker_of(near), m.speaker_of(far)) == (0, None)
    assert _said(pw.take([*WORDS[:3], near, far])) == [("p1", "good morning all right")]


def test_a_voice_without_a_stream_holds_its_words_until_it_has_one():
    m = Meeting()
    pw = ParticipantWords(m)
    m.seen({}, {7: 2.0})  # a face in view: a short new voice waits to be paired before it is a participant
    m.heard(_rows(0, 300, {2: [(60, 120)]}), 0)  # voice 2: 1 s
    m.refresh(5.0, lambda ev: None)
    assert m.directory.stream_of_voice() == {} and m.activity.final_until > 2.0 + WORD_REACH_S
    words = [Word("hello", 1.2, 1.6)]
    assert pw.take(words) == []  # decided, but its voice has no stream yet
    assert pw.take(words) == []  # still held (not dropped)

    m.seen({2: 7}, {7: 3.0})  # paired with the face: voice 2 joins the face's stream
    m.refresh(5.5, lambda ev: None)
    assert m.directory.stream_of_voice() == {2: "p1"}
    assert _said(pw.take(words)) == [("p1", "hello")]


def test_done_flushes_every_word_it_can_place_and_drops_the_rest():
    m = Meeting()
    pw = ParticipantWords(m)
    m.seen({0: 4}, {4: 5.0})
    m.heard(_rows(0, 300, {0: [(60, 280)], 1: [(285, 300)]}), 0)  # decided to ~5.1 s; voice 1 only 0.25 s
    m.refresh(5.0, lambda ev: None)
    assert m.directory.stream_of_voice() == {0: "p1"}
    words = [
        Word("one", 1.5, 1.9),  # decided
        Word("two", 4.6, 4.9),  # its speaker is decided but not the 0.4 s after it: held
        Word("three", 4.95, 5.05),  # voice 1, which has no stream (and never gets one before the end)
        Word("four", 6.0, 6.3),  # past everything decided
    ]
    assert [m.speaker_of(w) for w in words] == [0, 0, 1, None]
    assert _said(pw.take(words)) == [("p1", "one")]
    assert _said(pw.take(words, done=True)) == [("p1", "two")]
    assert pw.take(words, done=True) == []  # nothing is left over
