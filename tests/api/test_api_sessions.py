"""Sessions of the Python API on real media with the real components (loaded once for the module): a file,
a stream over HTTP, pushed media; iteration, callbacks, recording, the dashboard, stopping."""

from __future__ import annotations

import json

import pytest
from support.http_media import MediaServer, remux
from support.messages import readings_of
from support.server_client import http_get

import streammsa
from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import AudioChunk

pytestmark = [pytest.mark.slow, pytest.mark.data]

# the fields that measure wall time rather than content: they differ between two runs of one input
TIMING = ("latency_ms", "update_latency_ms")


class CallbackBug(Exception):
    pass


@pytest.fixture(scope="module")
def components() -> streammsa.Components:
    return streammsa.Components.build(streammsa.MonitorConfig())


def content(readings: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in readings]


def timeline(path) -> list[dict]:
    return [json.loads(line) for line in (path / "timeline.jsonl").read_text().splitlines()]


def feed_clip(session: streammsa.Session, clip) -> None:
    for pkt in MediaFileSource(clip):
        if isinstance(pkt, AudioChunk):
            session.feed_audio(pkt.samples, pkt.t)
        else:
            session.feed_frame(pkt.image, pkt.t)


def test_a_file_session_yields_what_the_monitor_emits_as_protocol_classes(components, grid_clip):
    with streammsa.open_file(grid_clip, fast=True, components=components) as session:
        messages = list(session)
    assert all(isinstance(m, streammsa.Message) for m in messages)
    assert isinstance(messages[0], streammsa.Hello) and messages[0].trained
    assert isinstance(messages[-1], streammsa.StatusEvent) and messages[-1].state == "ended"
    readings = [m for m in messages if isinstance(m, streammsa.Reading)]
    assert readings and all(isinstance(r.modalities["vision"], streammsa.ModalityReading) for r in readings)
    assert session.result.readings == len({r.seq for r in readings}) and not session.running
    # the API is the monitor: the same readings as replay_messages on the same clip
    replayed = streammsa.replay_messages(grid_clip, components=components, fast=True)
    assert content([r.to_dict() for r in readings]) == content(replayed.of_type("reading"))


def test_a_recorded_session_writes_exactly_the_messages_it_yields(components, grid_clip, tmp_path):
    session = streammsa.open_file(grid_clip, fast=True, components=components, out_dir=tmp_path)
    yielded = [m.to_dict() for m in session]
    assert timeline(tmp_path) == yielded
    assert (tmp_path / "report.html").stat().st_size > 0 and session.out_dir == tmp_path


def test_callbacks_get_their_kind_and_one_that_raises_stops_the_run_keeping_the_record(components, grid_clip, tmp_path):
    session = streammsa.open_file(grid_clip, speed=1.0, components=components, out_dir=tmp_path)
    statuses, seen = [], []
    session.on("status", statuses.append).on(streammsa.Hello, seen.append)

    def bad(reading: streammsa.Reading) -> None:
        seen.append(reading)
        raise CallbackBug("a bug in the program's callback")

    session.on("reading", bad)
    with pytest.raises(CallbackBug):
        session.wait()
    assert isinstance(seen[0], streammsa.Hello) and isinstance(seen[1], streammsa.Reading)
    assert all(isinstance(s, streammsa.StatusEvent) for s in statuses)
    assert session.result.interrupted  # stopped as Ctrl-C would: before the 3-s clip was over
    recorded = timeline(tmp_path)
    assert recorded[0]["type"] == "hello" and readings_of(recorded)
    assert recorded[-1]["type"] == "status" and recorded[-1]["detail"] == "interrupted"
    assert (tmp_path / "summary.json").is_file()


def test_pushed_media_gives_readings_with_words_and_face(components, grid_clip):
    session = streammsa.open_push(realtime=False, components=components)
    feed_clip(session, grid_clip)
    session.end()
    readings = readings_of(m.to_dict() for m in session)
    assert readings and all(r["modalities"]["vision"]["present"] for r in readings)
    assert any(r["modalities"]["text"]["present"] for r in readings) and session.result.transcript.strip()
    with pytest.raises(streammsa.UsageError, match="ended"):
        session.feed_audio(b"\0\0" * 160)


def test_stop_ends_a_live_push_session_waiting_for_media(components, grid_clip, tmp_path):
    session = streammsa.open_push(components=components, out_dir=tmp_path)
    feed_clip(session, grid_clip)  # then nothing more arrives: a live source would wait for ever
    session.stop()
    result = session.wait(timeout=60)
    assert result.interrupted and not session.running
    assert timeline(tmp_path)[-1]["state"] == "ended"


def test_a_url_session_reads_a_stream_served_over_http(components, grid_clip, tmp_path):
    remux(grid_clip, tmp_path / "clip.mp4", {"movflags": "faststart"})
    with MediaServer(tmp_path) as server:
        server.cut("clip.mp4", 0.5)
        with streammsa.open_url(server.url("clip.mp4"), fast=True, components=components) as session:
            messages = [m.to_dict() for m in session]
    states = [m["state"] for m in messages if m["type"] == "status"]
    assert "retrying" in states and states[-1] == "ended"
    local = streammsa.replay_messages(tmp_path / "clip.mp4", components=components, fast=True)
    assert [r["t_end"] for r in readings_of(messages)] == [r["t_end"] for r in readings_of(local.messages)]


def test_a_dashboard_session_serves_the_page_while_it_runs(components, grid_clip):
    config = streammsa.DashboardConfig(port=0)
    with streammsa.open_file(grid_clip, speed=1.0, components=components, dashboard=config) as session:
        status, _, body = http_get(session.dashboard_url, "/")
        assert status == 200 and b"<html" in body.lower()
        session.wait()


def test_misuse_is_a_usage_error_saying_what_to_do(components, grid_clip):
    session = streammsa.open_file(grid_clip, components=components)
    with pytest.raises(streammsa.UsageError, match="unknown message kind 'readings'"):
        session.on("readings", print)
    with pytest.raises(streammsa.UsageError, match="open_push"):
        session.feed_audio(b"\0\0")
    session.start()
    session.stop()
    assert session.wait(timeout=60).interrupted
