"""Participants mode end to end: real meetings (GRID faces and voices, RAVDESS voices) replayed through
the whole monitor with the real diarizer, face tracker, recogniser and model; each person is their own
stream with their own readings and transcript, and people who come, go or are never seen or heard are
handled cleanly."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter, defaultdict

import numpy as np
import pytest
from support.messages import participant_streams
from support.processes import spawn_streammsa

from streammsa.monitor import MonitorConfig, replay_messages
from streammsa.participants.truth import MeetingTruth
from streammsa.recorder.readings import latest_readings

pytestmark = pytest.mark.slow


def _config(participants: int) -> MonitorConfig:
    return MonitorConfig(participants=participants)


def _person_at(truth: MeetingTruth, t: float) -> str | None:
    """Who speaks at stream time ``t`` (the truth of the construction)."""
    who = [s.person for s in truth.segments if s.start <= t < s.end]
    return who[0] if len(who) == 1 else None


def _words_by_stream(messages: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for m in messages:
        if m["type"] == "transcript" and m["kind"] == "committed" and m["stream"] != "main":
            out[m["stream"]] += m["words"]
    return out


def _attribution(messages: list[dict], truth: MeetingTruth) -> tuple[dict[str, str], float, int]:
    """Each participant stream's person (most of its words) and the share of words given to the right person."""
    people, right, scored = {}, 0, 0
    for stream, words in _words_by_stream(messages).items():
        persons = [_person_at(truth, 0.5 * (w["start"] + w["end"])) for w in words]
        votes = Counter(p for p in persons if p)
        if not votes:
            continue
        people[stream] = votes.most_common(1)[0][0]
        right += sum(p == people[stream] for p in persons if p)
        scored += sum(1 for p in persons if p)
    return people, (right / scored if scored else 0.0), scored


def test_fast_replay_of_two_people_side_by_side_gives_two_participants_with_their_own_words(
    two_people, monitor_components, tmp_path
):
    media, truth = two_people
    run = replay_messages(media, config=_config(0), fast=True, components=monitor_components, out_dir=tmp_path)
    msgs = run.messages
    hello = next(m for m in msgs if m["type"] == "hello")
    assert hello["participants"] is True and hello["streams"] == ["main"]

    streams = participant_streams(msgs)
    active = {s: m for s, m in streams.items() if m["state"] != "left"}
    assert len(active) == 2, streams
    assert all(m["voice"] is not None and m["face"] is not None for m in active.values())  # one voice + one face each

    people, share, scored = _attribution(msgs, truth)
    assert sorted(people.values()) == sorted(truth.speakers)  # one stream per person, nobody twice
    assert scored >= 30 and share >= 0.9, (share, scored)

    # each participant's readings: their own face in every window, their voice and words where they speak
    finals = latest_readings(msgs)
    assert {r["stream"] for r in finals} == set(active)
    for stream, person in people.items():
        mine = [r for r in finals if r["stream"] == stream]
        assert len(mine) >= 20  # one a second over 24 s
        assert all(r["modalities"]["vision"]["present"] for r in mine)
        speaking = [  # windows holding a whole utterance of theirs
            r
            for r in mine
            if any(s.person == person and r["t_start"] <= s.start and s.end <= r["t_end"] for s in truth.segments)
        ]
        silent = [
            r
            for r in mine
            if not any(s.person == person and s.end > r["t_start"] and s.start < r["t_end"] for s in truth.segments)
        ]
        assert speaking and silent
        assert all(r["modalities"]["audio"]["present"] and r["modalities"]["text"]["present"] for r in speaking)
        assert not any(r["modalities"]["audio"]["present"] for r in silent)  # another person's voice is not theirs
        assert not any(r["transcript"] for r in silent)

    # the room keeps the whole transcript; the run folder carries the people (recorder/participants.py)
    assert run.result.transcript and (tmp_path / "summary.json").exists()


def test_paced_replay_reads_on_time_and_gives_each_voice_to_its_person_as_it_is_decided(
    two_people, monitor_components, tmp_path
):
    media, truth = two_people
    run = replay_messages(
        media, config=_config(2), fast=False, speed=1.0, components=monitor_components, out_dir=tmp_path
    )
    msgs = run.messages
    streams = {s: m for s, m in participant_streams(msgs).items() if m["state"] != "left"}
    assert len(streams) == 2 and all(m["voice"] is not None and m["face"] is not None for m in streams.values())

    first = [m for m in msgs if m["type"] == "reading" and m["revision"] == 0]
    latency = sorted(m["latency_ms"] for m in first)
    assert np.median(latency) < 1000  # on time: a face is read at once, the voice joins by revision

    finals = latest_readings(msgs)
    assert all(r["final"] for r in finals)
    people, share, scored = _attribution(msgs, truth)
    assert len(people) == 2 and share >= 0.9 and scored >= 20, (people, share, scored)
    for stream, person in people.items():
        turns = [s for s in truth.segments if s.person == person and s.end - s.start > 1.0]
        heard = [r for r in finals if r["stream"] == stream and r["modalities"]["audio"]["present"]]
        # every window holding one of their turns ends up with their voice (revised in once decided)
        for s in turns:
            holding = [r for r in finals if r["stream"] == stream and r["t_start"] <= s.start and s.end <= r["t_end"]]
            assert holding and all(r in heard for r in holding), (stream, s)


def test_voices_only_meeting_gives_participants_heard_but_never_seen(voices_only, monitor_components, tmp_path):
    media, truth = voices_only
    run = replay_messages(media, config=_config(0), fast=True, components=monitor_components, out_dir=tmp_path)
    streams = {s: m for s, m in participant_streams(run.messages).items() if m["state"] != "left"}
    assert len(streams) == 2 and all(m["face"] is None and m["voice"] is not None for m in streams.values())
    finals = latest_readings(run.messages)
    assert finals and not any(r["modalities"]["vision"]["present"] for r in finals)  # absent, not guessed
    _, share, scored = _attribution(run.messages, truth)
    assert scored >= 20 and share >= 0.9, (share, scored)


def test_a_listener_is_a_participant_with_a_face_and_a_voice_never_seen_one_with_a_voice(
    listener_and_offscreen, monitor_components, tmp_path
):
    media, truth = listener_and_offscreen
    run = replay_messages(media, config=_config(0), fast=True, components=monitor_components, out_dir=tmp_path)
    streams = {s: m for s, m in participant_streams(run.messages).items() if m["state"] != "left"}
    kinds = Counter((m["voice"] is not None, m["face"] is not None) for m in streams.values())
    # two people seen and heard, one face never heard (the listener), one voice never seen
    assert kinds == Counter({(True, True): 2, (False, True): 1, (True, False): 1}), streams
    listener = next(s for s, m in streams.items() if m["voice"] is None)
    theirs = [r for r in latest_readings(run.messages) if r["stream"] == listener]
    assert theirs and all(r["modalities"]["vision"]["present"] for r in theirs)  # listener reactions are kept
    assert not any(r["modalities"]["audio"]["present"] or r["transcript"] for r in theirs)


def test_people_who_appear_late_and_leave_come_and_go_cleanly_and_nothing_recorded_is_lost(
    comes_and_goes, monitor_components, tmp_path
):
    media, truth, edit = comes_and_goes
    run = replay_messages(
        media, config=_config(0), fast=False, speed=1.0, components=monitor_components, out_dir=tmp_path
    )
    msgs = run.messages
    events = [m for m in msgs if m["type"] == "participant"]
    streams = participant_streams(msgs)
    kept = {s: m for s, m in streams.items() if m["voice"] is not None and m["face"] is not None}
    assert len(kept) == 2, events
    # the person who left: out of view and quiet long enough -> "left" (their stream and readings stay)
    left = [m for m in events if m["state"] == "left" and m["stream"] in kept]
    assert left and left[-1]["t"] >= edit["leave_s"] + 10
    finals = latest_readings(msgs)
    leaver = left[-1]["stream"]
    assert any(r["stream"] == leaver and r["t_end"] <= edit["leave_s"] for r in finals)
    assert not any(r["stream"] == leaver for r in finals if r["t_start"] >= edit["leave_s"] + 3)
    # the timeline holds every message and the report every participant, however they came and went
    timeline = (tmp_path / "timeline.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(timeline) == len(msgs)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert {p["stream"] for p in summary["participants"]} >= set(kept)


def test_ctrl_c_mid_meeting_keeps_every_participant_and_writes_the_report(two_people, tmp_path):
    """The command line, stopped with Ctrl-C while people are being read: what was read stays, per person."""
    media, _ = two_people
    out = tmp_path / "run"
    proc = spawn_streammsa("replay", str(media), "--participants", "auto", "--no-dashboard", "--out", str(out))
    timeline = out / "timeline.jsonl"
    try:
        deadline = time.monotonic() + 120
        while not timeline.exists() or timeline.read_text(encoding="utf-8").count('"type":"reading"') < 12:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "no readings appeared"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    msgs = [json.loads(line) for line in timeline.read_text(encoding="utf-8").splitlines()]
    streams = {m["stream"] for m in msgs if m["type"] == "participant"}
    assert len(streams) >= 2
    finals = latest_readings(msgs)
    assert {r["stream"] for r in finals} <= streams and all(r["final"] for r in finals)  # nothing left open
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is True and {p["stream"] for p in summary["participants"]} >= {
        r["stream"] for r in finals
    }
    assert (out / "report.html").exists() and (out / "timeline.csv").exists()
