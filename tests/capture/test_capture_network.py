"""Network streams through PyAV: a real HTTP server on loopback serves a real clip (progressive mp4 and HLS),
cuts the connection mid-stream or stays down, and the source reconnects with back-off, keeping one stream clock."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.http_media import MediaServer, remux

from streammsa.capture.location import display_name, is_url, media_location, redact
from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.network import NetworkSource, open_media
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, VideoFrame
from streammsa.cli import main
from streammsa.errors import InputError, UsageError

# a connection that broke flushes its resampler: its last few samples differ from a clean pass
FLUSH_SAMPLES = 64


def split(packets: list) -> tuple[np.ndarray, list[float], list[AudioChunk]]:
    chunks = [p for p in packets if isinstance(p, AudioChunk)]
    audio = np.concatenate([c.samples for c in chunks]) if chunks else np.zeros(0, np.float32)
    return audio, [p.t for p in packets if isinstance(p, VideoFrame)], chunks


def assert_one_clock(packets: list) -> None:
    """Audio contiguous by sample count, frame times strictly increasing: as one uninterrupted stream."""
    _, frame_ts, chunks = split(packets)
    for a, b in zip(chunks, chunks[1:]):
        assert b.t == pytest.approx(a.t_end, abs=1e-6)
    assert all(a < b for a, b in zip(frame_ts, frame_ts[1:]))


def statuses(src: NetworkSource) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    src.on_status = lambda state, detail: seen.append((state, detail))
    return seen


@pytest.fixture(scope="module")
def served(grid_clip, tmp_path_factory) -> Path:
    """The GRID clip as a streamable mp4 (index first) and as an HLS playlist of 1-s segments, same packets."""
    root = tmp_path_factory.mktemp("served")
    remux(grid_clip, root / "clip.mp4", {"movflags": "faststart"})
    hls = {"hls_time": "1", "hls_playlist_type": "vod", "hls_segment_filename": str(root / "seg%03d.ts")}
    remux(root / "clip.mp4", root / "index.m3u8", hls)
    return root


@pytest.fixture(scope="module")
def reference(served) -> tuple[np.ndarray, list[float]]:
    """What the clip decodes to from disk."""
    audio, frames, _ = split(list(MediaFileSource(served / "clip.mp4")))
    return audio, frames


# ---- locations ---------------------------------------------------------------------------------


def test_urls_stay_strings_paths_become_paths_and_passwords_are_never_shown():
    assert media_location("rtsp://cam.local:554/live") == "rtsp://cam.local:554/live"
    assert media_location("meeting.mp4") == Path("meeting.mp4")
    assert media_location("file:///tmp/a.mp4") == Path("/tmp/a.mp4")
    assert is_url("https://x/y.m3u8") and not is_url("C:/videos/a.mp4") and not is_url(Path("a.mp4"))
    assert redact("rtsp://admin:hunter2@10.0.0.5/stream") == "rtsp://admin:***@10.0.0.5/stream"
    assert display_name("rtsp://admin:hunter2@cam.local/live/main") == "cam.local/main"
    assert display_name(Path("/data/call.wav")) == "call.wav"


def test_a_location_that_is_no_stream_url_is_a_usage_error():
    with pytest.raises(UsageError, match="not a network stream URL"):
        NetworkSource("ftp://example/clip.mp4")


def test_an_unreachable_stream_is_one_input_error_line_without_the_password():
    with pytest.raises(InputError) as err:
        NetworkSource("http://viewer:s3cret@127.0.0.1:9/clip.mp4", timeout_s=5)  # port 9 (discard): refused
    message = str(err.value)
    assert "\n" not in message and "s3cret" not in message
    assert "viewer:***@127.0.0.1:9" in message and "check the URL" in message


# ---- real streams over HTTP ----------------------------------------------------------------------


@pytest.mark.data
def test_a_clip_over_http_arrives_exactly_as_from_disk(served, reference):
    with MediaServer(served) as server:
        src = open_media(server.url("clip.mp4"))
        assert isinstance(src, NetworkSource) and not src.is_live  # known length: replayed, paced
        packets = list(src)
    audio, frames, _ = split(packets)
    np.testing.assert_array_equal(audio, reference[0])
    assert frames == reference[1]
    assert src.error is None and src.reconnects == 0


@pytest.mark.data
@pytest.mark.parametrize("cut_at", [0.3, 0.7])
def test_a_connection_cut_mid_stream_reconnects_seeks_back_and_loses_nothing(served, reference, cut_at):
    with MediaServer(served) as server:
        server.cut("clip.mp4", cut_at)
        src = NetworkSource(server.url("clip.mp4"), backoff_s=0.05)
        seen = statuses(src)
        packets = list(src)
        requests = list(server.requests)
    states = [s for s, _ in seen]
    assert states == ["stalled", "retrying", "running"], seen
    assert "attempt 1 of 5" in seen[1][1]
    assert len(requests) >= 2 and requests[0][3] < (served / "clip.mp4").stat().st_size  # really cut, re-requested
    assert src.error is None and src.reconnects == 1
    assert_one_clock(packets)
    audio, frames, _ = split(packets)
    want_audio, want_frames = reference
    assert frames == want_frames  # every frame once, none repeated
    assert abs(len(audio) - len(want_audio)) <= 2  # at most a rounding sample at the seam
    n = min(len(audio), len(want_audio))
    assert np.corrcoef(audio[:n], want_audio[:n])[0, 1] > 0.99


@pytest.mark.data
def test_a_server_that_stays_down_ends_the_stream_with_one_line_keeping_what_arrived(served, reference):
    with MediaServer(served) as server:
        server.cut("clip.mp4", 0.5)
        src = NetworkSource(server.url("clip.mp4"), max_retries=3, backoff_s=0.1)
        server.fail_next(10_000)  # down from now on: the connection open is cut, every reconnection gets 503
        seen = statuses(src)
        packets = list(src)
    retries = [d for s, d in seen if s == "retrying"]
    assert [r.split(" in ")[-1] for r in retries] == ["0.1 s", "0.2 s", "0.4 s"]  # exponential back-off
    assert src.error is not None and "\n" not in src.error
    assert "not back after 3 reconnection attempts" in src.error
    audio, frames, _ = split(packets)
    assert 0 < len(frames) < len(reference[1])
    assert frames == reference[1][: len(frames)]  # what arrived before the cut is the clip's start, intact
    intact = len(audio) - FLUSH_SAMPLES
    np.testing.assert_array_equal(audio[:intact], reference[0][:intact])


@pytest.mark.data
def test_a_live_stream_keeps_its_clock_going_across_a_reconnect(served, reference):
    with MediaServer(served) as server:
        server.cut("clip.mp4", 0.5)
        src = NetworkSource(server.url("clip.mp4"), live=True, backoff_s=0.05)
        seen = statuses(src)
        before, after = [], []
        for pkt in src:  # a live stream never ends by itself: stop two seconds into the second connection
            (after if src.reconnects else before).append(pkt)
            if after and pkt.t > after[0].t + 2.0:
                break
        src.close()
    assert [s for s, _ in seen][:3] == ["stalled", "retrying", "running"]
    assert_one_clock(before + after)
    first_audio, first_frames, _ = split(before)
    intact = len(first_audio) - FLUSH_SAMPLES
    np.testing.assert_array_equal(first_audio[:intact], reference[0][:intact])  # the first connection, intact
    assert first_frames == reference[1][: len(first_frames)]
    # the second connection starts where the first stopped on the stream clock, not back at 0
    assert after[0].t == pytest.approx(max(first_frames[-1], len(first_audio) / SAMPLE_RATE), abs=0.05)


@pytest.mark.data
def test_an_hls_playlist_plays_through_and_survives_a_cut_segment(served, reference):
    with MediaServer(served) as server:
        whole = list(NetworkSource(server.url("index.m3u8")))
        server.cut("seg001.ts", 0.5)
        src = NetworkSource(server.url("index.m3u8"), backoff_s=0.05)
        seen = statuses(src)
        cut = list(src)
    audio, frames, _ = split(whole)
    np.testing.assert_array_equal(audio, reference[0])
    assert frames == reference[1]
    assert "retrying" in [s for s, _ in seen] and src.error is None
    assert_one_clock(cut)
    cut_audio, cut_frames, _ = split(cut)
    assert abs(len(cut_audio) - len(reference[0])) <= 2
    assert set(cut_frames) <= set(reference[1]) and len(cut_frames) >= 0.95 * len(reference[1])


# ---- the commands on a URL (real models) ---------------------------------------------------------


def read_timeline(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.data
def test_replay_of_a_url_cut_mid_stream_reads_the_whole_clip_and_records_the_retry(served, reference, tmp_path):
    with MediaServer(served) as server:
        server.cut("clip.mp4", 0.5)
        code = main(["replay", server.url("clip.mp4"), "--fast", "--no-dashboard", "--out", str(tmp_path)])
    assert code == 0
    msgs = read_timeline(tmp_path / "timeline.jsonl")
    readings = [m for m in msgs if m["type"] == "reading"]
    duration = len(reference[0]) / SAMPLE_RATE
    assert readings and readings[-1]["t_end"] >= duration - 1.0  # the readings reach the end of the clip
    assert all(r["trained"] and r["modalities"]["vision"]["present"] for r in readings)
    assert readings[-1]["modalities"]["text"]["present"]
    retrying = [m for m in msgs if m["type"] == "status" and m["state"] == "retrying"]
    assert len(retrying) == 1 and "reconnecting" in retrying[0]["detail"]
    assert msgs[-1]["type"] == "status" and msgs[-1]["state"] == "ended"


@pytest.mark.slow
@pytest.mark.data
def test_live_url_watches_a_stream_until_it_ends(served, reference, tmp_path, capsys):
    with MediaServer(served) as server:
        code = main(["live", "--url", server.url("index.m3u8"), "--no-dashboard", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "watching stream 127.0.0.1/index.m3u8" in out
    msgs = read_timeline(tmp_path / "timeline.jsonl")
    readings = [m for m in msgs if m["type"] == "reading"]
    assert readings and all(r["trained"] for r in readings)
    assert all(r["modalities"]["vision"]["present"] for r in readings)  # the speaker's face, every window
    assert any(r["modalities"]["audio"]["present"] and r["modalities"]["text"]["present"] for r in readings)
    assert max(r["t_end"] for r in readings) >= len(reference[0]) / SAMPLE_RATE - 1.0  # watched to its end
