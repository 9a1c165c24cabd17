"""ParticipantDirectory: stable participant streams from voices, faces and their pairing, driven by hand."""

from __future__ import annotations

import pytest

from streammsa.participants.directory import MAX_NAME, ParticipantDirectory


def _states(events) -> list[tuple[str, str, int | None, int | None]]:
    return [(e.stream, e.state, e.voice, e.face) for e in events]


def test_a_face_tracked_for_min_face_s_joins_as_its_own_stream():
    d = ParticipantDirectory(leave_after_s=5.0, min_face_s=1.0)
    assert d.update(0.5, {}, {}, {3: 0.5}) == []  # tracked too briefly to count as a person
    assert d.streams() == []
    events = d.update(1.2, {}, {}, {3: 1.2})
    assert _states(events) == [("p1", "joined", None, 3)]
    assert events[0].name == "Person 1" and events[0].t == 1.2
    [p] = d.streams()
    assert (p.stream, p.name, p.voice, p.face, p.present) == ("p1", "Person 1", None, 3, True)
    assert d.voices() == set() and d.stream_of_voice() == {}


def test_a_voice_heard_alone_joins_as_its_own_stream():
    d = ParticipantDirectory()
    events = d.update(2.0, {}, {0: 1.8}, {})
    assert _states(events) == [("p1", "joined", 0, None)]
    assert d.voices() == {0} and d.stream_of_voice() == {0: "p1"}
    assert d.update(2.5, {}, {0: 2.4}, {}) == []  # the same voice again: nothing new


def test_a_voice_paired_with_a_face_seen_at_once_is_one_stream():
    d = ParticipantDirectory()
    events = d.update(3.0, {0: 5}, {0: 2.9}, {5: 2.0})
    assert _states(events) == [("p1", "joined", 0, 5)]
    assert [(p.stream, p.voice, p.face) for p in d.streams()] == [("p1", 0, 5)]


@pytest.mark.parametrize("first", ["voice", "face"])
def test_pairing_a_voice_and_a_face_that_each_have_a_stream_keeps_the_older_and_the_newer_never_returns(first):
    d = ParticipantDirectory(leave_after_s=5.0, min_face_s=1.0)
    voice_first = first == "voice"
    joined = d.update(1.0, {}, {0: 1.0} if voice_first else {}, {} if voice_first else {4: 1.0})
    joined += d.update(2.0, {}, {0: 2.0}, {4: 2.0})
    voice_only, face_only = (0, None), (None, 4)
    newer = face_only if voice_first else voice_only  # what p2 was before the pairing
    assert _states(joined) == [("p1", "joined", *(voice_only if voice_first else face_only)), ("p2", "joined", *newer)]

    merge = d.update(3.0, {0: 4}, {0: 3.0}, {4: 3.0})
    assert _states(merge) == [("p2", "left", *newer), ("p1", "updated", 0, 4)]
    assert [(p.stream, p.voice, p.face, p.present) for p in d.streams()] == [("p1", 0, 4, True)]
    assert d.stream_of_voice() == {0: "p1"} and d.voices() == {0}

    later = []
    later += d.update(4.0, {0: 4}, {0: 4.0}, {4: 4.0})  # the same pair again: nothing changes
    later += d.update(12.0, {0: 4}, {0: 4.0}, {})  # face gone, voice quiet: p1 leaves
    later += d.update(13.0, {0: 4}, {0: 12.9}, {})  # and joins again when heard; p2 stays gone
    later += d.update(14.0, {0: 4}, {0: 13.9}, {9: 1.5})  # a new face: a new id, never the merged one's
    assert _states(later) == [("p1", "left", 0, 4), ("p1", "joined", 0, 4), ("p3", "joined", None, 9)]
    assert [p.stream for p in d.streams()] == ["p1", "p3"]
    with pytest.raises(ValueError, match="no participant stream 'p2'"):
        d.rename("p2", "Ghost")


def test_a_stream_leaves_when_out_of_view_and_quiet_and_rejoins_under_the_same_id():
    d = ParticipantDirectory(leave_after_s=5.0, min_face_s=1.0)
    events = d.update(1.0, {0: 2}, {0: 0.9}, {2: 1.0})
    events += d.update(2.0, {0: 2}, {0: 1.9}, {2: 2.0})
    events += d.update(20.0, {0: 2}, {0: 1.9}, {2: 20.0})  # quiet 18 s but in view: stays
    assert _states(events) == [("p1", "joined", 0, 2)]
    events = d.update(21.0, {0: 2}, {0: 20.5}, {})  # out of view from here, last heard 20.5
    events += d.update(25.5, {0: 2}, {0: 20.5}, {})  # quiet exactly leave_after_s: still here
    assert events == []
    left = d.update(25.6, {0: 2}, {0: 20.5}, {})
    assert _states(left) == [("p1", "left", 0, 2)] and left[0].t == 25.6
    assert [p.present for p in d.streams()] == [False]
    assert d.update(30.0, {0: 2}, {0: 20.5}, {}) == []  # gone stays gone, no repeated "left"

    back = d.update(31.0, {0: 2}, {0: 30.8}, {})  # heard again
    assert _states(back) == [("p1", "joined", 0, 2)]
    assert _states(d.update(36.0, {0: 2}, {0: 30.8}, {})) == [("p1", "left", 0, 2)]
    seen_again = d.update(50.0, {0: 2}, {0: 30.8}, {2: 30.0})  # its face back in view, voice still quiet
    assert _states(seen_again) == [("p1", "joined", 0, 2)]
    assert [(p.stream, p.present) for p in d.streams()] == [("p1", True)]


def test_a_voice_never_seen_never_leaves_however_quiet():
    d = ParticipantDirectory(leave_after_s=5.0)
    assert _states(d.update(1.0, {}, {0: 1.0}, {})) == [("p1", "joined", 0, None)]
    assert d.update(100.0, {}, {0: 1.0}, {}) == []  # quiet is not gone: it may be listening
    assert [(p.stream, p.present) for p in d.streams()] == [("p1", True)]


def test_a_face_only_stream_leaves_and_comes_back_with_its_face():
    d = ParticipantDirectory(leave_after_s=3.0, min_face_s=1.0)
    assert _states(d.update(2.0, {}, {}, {7: 2.0})) == [("p1", "joined", None, 7)]
    assert d.update(4.0, {}, {}, {}) == []
    assert _states(d.update(5.5, {}, {}, {})) == [("p1", "left", None, 7)]
    assert _states(d.update(6.0, {}, {}, {7: 0.2})) == [("p1", "joined", None, 7)]  # its track, however briefly


def test_rename_trims_and_validates():
    d = ParticipantDirectory()
    d.update(1.0, {}, {0: 1.0}, {})
    v = d.version
    ev = d.rename("p1", "  Ada   Lovelace  ", t=3.5)
    assert (ev.stream, ev.state, ev.name, ev.voice, ev.t) == ("p1", "renamed", "Ada Lovelace", 0, 3.5)
    assert d.name("p1") == "Ada Lovelace" and d.streams()[0].name == "Ada Lovelace"
    assert d.version == v + 1
    assert d.rename("p1", "é" * MAX_NAME).name == "é" * MAX_NAME  # characters, not bytes
    v = d.version
    bad = [
        "",
        "   ",
        "x" * (MAX_NAME + 1),
        "Ada\x00",
        "Ada\x1b[31m",
        "Ada\nLovelace",
        "Ada\tLovelace",
        "Ada\x1fLovelace",
        "Ada\u200b",
        "\u202eadA",
    ]
    for name in bad:
        with pytest.raises(ValueError, match="printable"):
            d.rename("p1", name)
    with pytest.raises(ValueError, match="no participant stream 'p9'"):
        d.rename("p9", "Zed")
    assert d.version == v and d.name("p1") == "é" * MAX_NAME  # a refused rename changes nothing


def test_version_moves_on_every_change_and_only_then():
    d = ParticipantDirectory(leave_after_s=2.0, min_face_s=1.0)
    versions = [d.version]

    def step(*args) -> list:
        events = d.update(*args)
        versions.append(d.version)
        return events

    assert step(0.5, {}, {}, {1: 0.5}) == []  # a face too new
    assert step(1.0, {}, {0: 1.0}, {1: 1.0})  # voice and face join
    assert step(1.5, {}, {0: 1.4}, {1: 1.5}) == []
    assert step(2.0, {0: 1}, {0: 2.0}, {1: 2.0})  # merged
    assert step(2.5, {0: 1}, {0: 2.4}, {1: 2.5}) == []
    assert step(10.0, {0: 1}, {0: 2.4}, {})  # left
    assert step(11.0, {0: 1}, {0: 2.4}, {}) == []
    assert versions == [0, 0, 1, 1, 2, 2, 3, 3]
    d.rename("p1", "Bo")
    assert d.version == 4


def test_events_come_in_the_order_they_happened():
    d = ParticipantDirectory(leave_after_s=4.0, min_face_s=1.0)
    log = []
    for t, pairs, heard, seen in [
        (1.0, {}, {0: 1.0}, {}),  # voice 0 heard first
        (2.0, {}, {0: 2.0}, {3: 1.5}),  # a face appears
        (3.0, {0: 3}, {0: 3.0}, {3: 2.5}),  # they are one person
        (3.5, {0: 3}, {0: 3.0, 1: 3.5}, {3: 3.0, 8: 1.0}),  # a second voice and a listener's face
        (9.0, {0: 3}, {0: 3.0, 1: 3.5}, {8: 6.5}),  # voices quiet, face 3 gone: p1 leaves (p3 was never seen)
        (10.0, {0: 3}, {0: 9.9, 1: 3.5}, {8: 7.5}),  # voice 0 is back
    ]:
        log += d.update(t, pairs, heard, seen)
    log.append(d.rename("p4", "Listener", t=11.0))
    assert [(e.t, e.stream, e.state) for e in log] == [
        (1.0, "p1", "joined"),
        (2.0, "p2", "joined"),
        (3.0, "p2", "left"),
        (3.0, "p1", "updated"),
        (3.5, "p3", "joined"),
        (3.5, "p4", "joined"),
        (9.0, "p1", "left"),
        (10.0, "p1", "joined"),
        (11.0, "p4", "renamed"),
    ]
    assert [(p.stream, p.voice, p.face, p.present, p.name) for p in d.streams()] == [
        ("p1", 0, 3, True, "Person 1"),
        ("p3", 1, None, True, "Person 3"),
        ("p4", None, 8, True, "Listener"),
    ]
