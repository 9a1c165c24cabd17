"""Meeting: each participant's window inputs as views over the room's real caches, and the shared state the
participant workers keep (decided speech, faces in view, the directory brought up to date).

The room's caches are real ``FeatureCache``s filled by hand and a real ``TextSegmentCache`` over the real
MiniLM ``TextEncoder`` (its tokens are timed by their word's midpoint, which is what the words view reads)."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.asr.words import Word
from streammsa.features.cache import FeatureCache, TextSegmentCache
from streammsa.features.text import DIM as TEXT_DIM
from streammsa.features.text import TextEncoder
from streammsa.monitor.meeting import VOICE_WAIT_S, WORD_REACH_S, Meeting
from streammsa.participants.directory import ParticipantDirectory, ParticipantStream
from streammsa.speakers.segmentation import FRAME_STEP_S
from streammsa.speakers.turns import frame_at, frame_start

DECIDED = 700  # frames decided in the meeting below (~11.8 s)
# voice 0 speaks frames 60-299, voice 1 frames 280-499 (both in 280-299), nobody after
TURNS = {0: (60, 300), 1: (280, 500)}


def _rows(n: int, turns: dict[int, tuple[int, int]], speakers: int = 3) -> np.ndarray:
    rows = np.zeros((n, speakers), dtype=bool)
    for s, (a, b) in turns.items():
        rows[a:b, s] = True
    return rows


def _speaks(voice: int, times: np.ndarray) -> np.ndarray:
    """Truth of the hand-made turns: whether ``voice`` speaks at each time (frame grid of speakers/turns.py)."""
    a, b = TURNS[voice]
    j = np.array([frame_at(float(t)) for t in times])
    return (j >= a) & (j < b) & (j < DECIDED)


@pytest.fixture(scope="module")
def text_encoder() -> TextEncoder:
    return TextEncoder()


@pytest.fixture
def meeting() -> Meeting:
    m = Meeting()
    m.heard(_rows(DECIDED, TURNS), 0)
    return m


@pytest.fixture
def room() -> dict[str, FeatureCache]:
    """The room's audio features (3-d, every 20 ms) and speech probability (1-d), 0-12 s."""
    times = np.arange(0.0, 12.0, 0.02)
    audio = FeatureCache(3, horizon_s=60.0, name="audio")
    audio.append_many(times, np.stack([times, np.ones_like(times), np.full_like(times, 2.0)], axis=1))
    speech = FeatureCache(1, horizon_s=60.0, name="speech")
    speech.append_many(times, np.full((len(times), 1), 0.9))
    return {"audio": audio, "speech": speech}


def _person(voice: int | None, face: int | None, n: int = 1) -> ParticipantStream:
    return ParticipantStream(f"p{n}", f"Person {n}", voice=voice, face=face)


def test_a_voices_audio_rows_are_only_those_where_it_speaks(meeting, room):
    all_t, all_v = room["audio"].slice(0.0, 12.0)
    for voice in (0, 1):
        view = meeting.caches_for(_person(voice, None), room)["audio"]
        times, values = view.slice(0.0, 12.0)
        mine = _speaks(voice, all_t)
        np.testing.assert_array_equal(times, all_t[mine])
        np.testing.assert_array_equal(values, all_v[mine])
        assert 0.8 * (TURNS[voice][1] - TURNS[voice][0]) * FRAME_STEP_S < 0.02 * len(times)  # most of its turn
    both = np.intersect1d(
        meeting.caches_for(_person(0, None), room)["audio"].slice(0, 12)[0],
        meeting.caches_for(_person(1, None), room)["audio"].slice(0, 12)[0],
    )
    assert len(both) and both.min() >= frame_start(280) and both.max() < frame_start(300)  # overlap: both own it
    times, _ = meeting.caches_for(_person(0, None), room)["audio"].slice(2.0, 3.0)  # a window slices its part
    np.testing.assert_array_equal(times, all_t[(all_t >= 2.0) & (all_t < 3.0) & _speaks(0, all_t)])
    assert meeting.caches_for(_person(2, None), room)["audio"].slice(0.0, 12.0)[0].size == 0  # never heard


def test_the_speech_track_keeps_every_row_and_zeroes_the_others(meeting, room):
    all_t, all_v = room["speech"].slice(0.0, 12.0)
    times, values = meeting.caches_for(_person(1, None), room)["speech"].slice(0.0, 12.0)
    np.testing.assert_array_equal(times, all_t)  # the voice's quiet frames still count as frames
    mine = _speaks(1, all_t)
    np.testing.assert_allclose(values[mine], all_v[mine])
    assert not values[~mine].any() and mine.any() and (~mine).any()
    assert values.dtype == np.float32 and values.shape == all_v.shape


def test_words_go_to_whoever_speaks_around_their_midpoint(meeting, text_encoder):
    end1 = frame_start(TURNS[1][1])  # voice 1's turn ends here
    words = [
        Word("early", 0.20, 0.40),  # before anyone speaks: nobody within reach
        Word("hello", 2.00, 2.40),  # voice 0
        Word("there", 2.45, 2.80),  # voice 0
        Word("handover", frame_start(300), frame_start(310)),  # around it voice 0 stops and voice 1 goes on
        Word("reply", 6.00, 6.50),  # voice 1
        Word("trailing", end1 + 0.2, end1 + 0.4),  # midpoint 0.3 s after voice 1 stops: within the 0.4-s reach
        Word("stray", end1 + 0.5, end1 + 0.7),  # midpoint 0.6 s after: nobody
    ]
    mids = {w.w: 0.5 * (w.start + w.end) for w in words}
    assert mids["trailing"] - end1 < WORD_REACH_S < mids["stray"] - end1
    assert [meeting.speaker_of(w) for w in words] == [None, 0, 0, 1, 1, 1, None]
    assert [w.w for w in meeting.words_of(0, words)] == ["hello", "there"]
    assert [w.w for w in meeting.words_of(1, words)] == ["handover", "reply", "trailing"]
    assert meeting.words_of(2, words) == [] and meeting.words_of(None, words) == []

    text = TextSegmentCache(text_encoder, TEXT_DIM, horizon_s=60.0)
    text.commit("seg-1", words[:4])
    text.commit("seg-2", words[4:])
    room = {"text": text}
    all_t, all_v = text.slice(0.0, 20.0)
    for voice, said in [(0, ["hello", "there"]), (1, ["handover", "reply", "trailing"])]:
        times, values = meeting.caches_for(_person(voice, None), room)["text"].slice(0.0, 20.0)
        assert sorted(set(np.round(times, 6))) == sorted(round(mids[w], 6) for w in said)
        keep = np.isin(all_t, times)
        np.testing.assert_array_equal(times, all_t[keep])  # every token of those words, in order, as encoded
        np.testing.assert_array_equal(values, all_v[keep])
    times, _ = meeting.caches_for(_person(1, None), room)["text"].slice(5.5, 7.0)  # a window: its words only
    np.testing.assert_allclose(np.unique(times), [mids["reply"]])
    assert meeting.caches_for(_person(1, None), room)["text"].slice(20.0, 30.0)[0].size == 0


def test_a_participant_without_a_voice_has_no_audio_or_words_and_without_a_face_no_vision(meeting, room):
    room = {**room, "text": FeatureCache(4, horizon_s=60.0, name="tokens")}  # a stand-in: only .slice is read
    feats, checks = meeting.face_caches(5, dim=6)
    feats.append(1.0, np.arange(6, dtype=np.float32))
    checks.append(1.0, np.ones(1, np.float32))
    assert meeting.face_caches(5, dim=6) == (feats, checks)  # one pair per track, created once

    face_only = meeting.caches_for(_person(None, 5), room)
    assert face_only["audio"] is face_only["speech"] is face_only["text"] is None
    assert face_only["vision"] is feats and face_only["face_checks"] is checks

    voice_only = meeting.caches_for(_person(0, None), room)
    assert voice_only["vision"] is None and voice_only["face_checks"] is None
    assert all(voice_only[m] is not None for m in ("audio", "speech", "text"))

    unseen_face = meeting.caches_for(_person(0, 9), room)  # a face with no features yet: nothing to read
    assert unseen_face["vision"] is None and unseen_face["audio"] is not None

    no_room_audio = meeting.caches_for(_person(0, 5), {"text": None, "audio": None, "speech": None})
    assert no_room_audio["audio"] is no_room_audio["speech"] is no_room_audio["text"] is None
    assert no_room_audio["vision"] is feats


def test_waiting_since_is_the_first_speech_of_a_voice_without_a_stream():
    m = Meeting()
    events = []
    assert m.waiting_since() == float("inf")
    m.seen({}, {7: 3.0})  # a face in view: a new voice waits to be paired before it gets a stream of its own
    m.heard(_rows(300, {0: (100, 200)}), 0)  # 1.7 s of voice 0 from frame 100
    m.refresh(5.0, events.append)
    assert [(e.stream, e.state, e.voice, e.face) for e in events] == [("p1", "joined", None, 7)]
    assert m.waiting_since() == frame_start(100)

    m.heard(_rows(100, {1: (10, 20)}), 300)  # voice 1 starts later: the earliest waiting voice still counts
    assert m.waiting_since() == frame_start(100)

    more = int(np.ceil(VOICE_WAIT_S / FRAME_STEP_S))  # voice 0 speaks long enough to be a participant anyway
    m.heard(_rows(more, {0: (0, more)}), 400)
    m.refresh(12.0, events.append)
    assert [(e.stream, e.state, e.voice) for e in events[1:]] == [("p2", "joined", 0)]
    assert m.waiting_since() == frame_start(310)  # voice 1 still waits

    m.seen({1: 7}, {7: 10.0})  # voice 1 is paired with the face: it joins that stream
    m.refresh(12.5, events.append)
    assert [(e.stream, e.state, e.voice, e.face) for e in events[2:]] == [("p1", "updated", 1, 7)]
    assert m.waiting_since() == float("inf")
    assert m.directory.stream_of_voice() == {0: "p2", 1: "p1"}


def test_without_faces_a_voice_gets_a_stream_at_once_and_final_gives_every_voice_one():
    m = Meeting(has_video=False)
    events = []
    m.heard(_rows(100, {2: (40, 60)}), 0)  # 0.3 s of voice 2, nobody ever seen
    assert m.waiting_since() == frame_start(40)
    m.refresh(2.0, events.append)
    assert [(e.stream, e.voice) for e in events] == [("p1", 2)] and m.waiting_since() == float("inf")

    seen = Meeting()
    seen.seen({}, {3: 2.0})
    seen.heard(_rows(100, {0: (40, 60)}), 0)
    seen.refresh(2.0, events.append)
    assert seen.directory.voices() == set()  # a short voice waits for its face...
    seen.refresh(2.0, events.append, final=True)
    assert seen.directory.voices() == {0} and seen.waiting_since() == float("inf")  # ...until the end
    assert seen.directory.stream_of_voice() == {0: "p2"}


def test_refresh_never_goes_back_in_stream_time():
    m = Meeting(directory=ParticipantDirectory(leave_after_s=2.0))
    events = []
    m.seen({}, {3: 1.0})
    m.refresh(1.0, events.append)
    m.seen({}, {})  # the face is gone from 1 s on
    m.refresh(10.0, events.append)  # long enough: it leaves at 10 s
    m.refresh(3.0, events.append)  # a late caller with an older time: still 10 s, so it does not rejoin
    assert [(e.stream, e.state, e.t) for e in events] == [("p1", "joined", 1.0), ("p1", "left", 10.0)]
