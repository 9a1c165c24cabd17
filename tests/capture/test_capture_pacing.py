"""CaptureThread paces file packets at real time (or not at all), delivers every packet and surfaces failures."""

from __future__ import annotations

import time

import numpy as np
import pytest
from support.media import write_media

from streammsa.capture import pacing
from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.pacing import CaptureThread, Pacer
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, VideoFrame
from streammsa.capture.source import Source
from streammsa.features.vision import RateGate
from streammsa.protocol import StatusEvent


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """1.2 s of tone + 30 frames at 25 fps."""
    path = tmp_path_factory.mktemp("pacing") / "clip.mkv"
    tone = (0.2 * np.sin(2 * np.pi * 300 * np.arange(int(1.2 * SAMPLE_RATE)) / SAMPLE_RATE)).astype(np.float32)
    write_media(path, [np.full((32, 32, 3), i * 8, np.uint8) for i in range(30)], fps=25, audio=tone)
    return path


def run_capture(path, speed):
    arrivals: list[tuple[float, float]] = []  # (packet t, wall seconds since start)
    statuses: list[str] = []
    packets: list = []

    def on_packet(p):
        arrivals.append((p.t, time.monotonic() - t0))
        packets.append(p)

    cap = CaptureThread(
        MediaFileSource(path), speed=speed, on_packet=on_packet, on_status=lambda ev: statuses.append(ev.state)
    )
    t0 = time.monotonic()
    cap.start()
    assert cap.join(timeout=30)
    audio = [p for p in packets if isinstance(p, AudioChunk)]
    frames = [p for p in packets if isinstance(p, VideoFrame)]
    return arrivals, statuses, audio, frames, time.monotonic() - t0


def audio_span(chunks) -> tuple[float, float]:
    """(first sample time, end of the last chunk) of contiguous audio chunks."""
    return chunks[0].t, chunks[-1].t + len(chunks[-1].samples) / SAMPLE_RATE


def contiguous(chunks) -> bool:
    """Each chunk starts where the one before it ended: no sample dropped or doubled."""
    return all(abs(b.t - (a.t + len(a.samples) / SAMPLE_RATE)) < 1e-3 for a, b in zip(chunks, chunks[1:]))


def test_real_time_pacing_spreads_packets_over_their_media_duration(clip):
    arrivals, statuses, audio, frames, elapsed = run_capture(clip, speed=1.0)
    times = [t for t, _ in arrivals]
    assert times == sorted(times)
    media_span = times[-1] - times[0]
    # Loose bounds: at real time the run cannot be much shorter than the media it paced.
    assert elapsed >= 0.8 * media_span
    # Later packets arrive later in wall time, roughly in step with their media time.
    late = [w for t, w in arrivals if t > media_span * 0.75]
    assert min(late) >= 0.5 * media_span
    assert statuses[0] == "starting" and "running" in statuses and statuses[-1] == "ended"
    assert len(frames) == 30 and audio_span(audio)[1] == pytest.approx(1.2, abs=0.1)


def test_speed_two_is_faster_than_real_time_and_fast_mode_does_not_wait(clip):
    _, _, _, _, at_speed2 = run_capture(clip, speed=2.0)
    arrivals, _, audio, frames, fast = run_capture(clip, speed=None)
    assert fast < at_speed2
    assert fast < 0.6  # 1.2 s of media; decoding a tiny clip takes a few ms
    assert len(frames) == 30 and contiguous(audio)
    assert [t for t, _ in arrivals] == sorted(t for t, _ in arrivals)


def test_pacer_waits_relative_to_the_first_packet():
    pacer = Pacer(speed=4.0)
    t0 = time.monotonic()
    assert pacer.wait(10.0)  # first packet: never waits, whatever its time
    assert pacer.wait(10.4)  # 0.4 s of media at 4x -> about 0.1 s
    assert time.monotonic() - t0 >= 0.09


def test_stop_ends_a_paced_capture_early(clip):
    cap = CaptureThread(MediaFileSource(clip), speed=0.25)  # would take ~5 s
    cap.start()
    time.sleep(0.3)
    cap.stop()
    assert cap.join(timeout=5)
    assert 0 < cap.packets


class Exploding(Source):
    name = "exploding"

    def packets(self):
        yield AudioChunk(0.0, np.zeros(160, np.float32))
        yield VideoFrame(0.01, np.zeros((2, 2, 3), np.uint8))
        raise RuntimeError("device unplugged")


def test_source_exception_reaches_the_consumer_not_swallowed():
    states = []
    cap = CaptureThread(Exploding(), speed=None, on_status=lambda ev: states.append((ev.state, ev.detail)))
    cap.start()
    with pytest.raises(RuntimeError, match="device unplugged"):
        cap.join(timeout=5)
    assert cap.packets == 2
    assert states[-1] == ("error", "device unplugged")


def test_callback_exception_also_reaches_the_consumer(clip):
    def bad(_packet):
        raise ValueError("consumer bug")

    cap = CaptureThread(MediaFileSource(clip), on_packet=bad, speed=None)
    cap.start()
    with pytest.raises(ValueError, match="consumer bug"):
        cap.join(timeout=5)


def test_broken_file_ends_with_its_error_line_as_status(tmp_path, clip):
    cut = tmp_path / "cut.mkv"
    data = clip.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    events = []
    cap = CaptureThread(MediaFileSource(cut), speed=None, on_status=events.append)
    cap.start()
    cap.join(timeout=10)  # no exception: a truncated file is not a crash
    assert cap.source_error and "truncated" in cap.source_error
    assert events[-1].state == "ended" and events[-1].detail == cap.source_error
    assert events[-1].stream == "main"


def test_stream_clock_is_monotonic_from_zero():
    from streammsa.capture.clock import StreamClock

    clock = StreamClock()
    assert not clock.started
    first = clock.now()
    time.sleep(0.02)
    second = clock.now()
    assert 0.0 <= first < second < 5.0
    assert clock.to_monotonic(second) <= time.monotonic()


def test_paced_capture_reports_its_stream_time(clip):
    cap = CaptureThread(MediaFileSource(clip), speed=1.0)
    assert cap.pacer.stream_now() is None  # nothing delivered yet
    cap.start()
    time.sleep(0.5)
    now = cap.pacer.stream_now()
    cap.join(timeout=10)
    assert now is not None and 0.2 < now < 1.5
    assert CaptureThread(MediaFileSource(clip), speed=None).pacer.stream_now() is None


class Hiccup(Source):
    """A live device that blocks inside read for 0.6 s after its fifth frame."""

    is_live = True
    name = "hiccup"

    def packets(self):
        for i in range(10):
            if i == 5:
                time.sleep(0.6)
            yield VideoFrame(i * 0.04, np.zeros((2, 2, 3), np.uint8))


def test_watchdog_reports_a_blocked_device_as_stalled_then_running_again():
    states = []
    cap = CaptureThread(Hiccup(), stall_timeout_s=0.2, on_status=lambda ev: states.append((ev.state, ev.detail)))
    cap.start()
    assert cap.join(timeout=5)
    names = [s for s, _ in states]
    assert names == ["starting", "running", "stalled", "running", "ended"]
    assert "no packets for" in states[2][1] and cap.packets == 10


def test_a_capture_started_held_keeps_its_clock_and_hands_over_everything_in_order(clip):
    """A paced replay starts playing while the models load: nothing is delivered before ``start()``, then every
    packet and status in the order it came, and the stream's clock is the one started at the first packet."""
    items: list = []
    cap = CaptureThread(MediaFileSource(clip), speed=2.0)
    cap.on_packet, cap.on_status = items.append, items.append  # (wired later, as the monitor does)
    t0 = time.monotonic()
    cap.start(held=True)
    time.sleep(0.3)
    assert items == [] and cap.packets > 0  # playing, holding
    assert cap.pacer.stream_now() == pytest.approx((time.monotonic() - t0) * 2.0, abs=0.25)
    cap.start()  # the run takes it over
    assert cap.join(timeout=30)
    packets = [p for p in items if not isinstance(p, StatusEvent)]
    states = [ev.state for ev in items if isinstance(ev, StatusEvent)]
    _, want_states, want_audio, want_frames, _ = run_capture(clip, speed=None)
    assert states == want_states == ["starting", "running", "ended"]
    assert [p.t for p in packets if isinstance(p, VideoFrame)] == [f.t for f in want_frames]
    audio = [p for p in packets if isinstance(p, AudioChunk)]
    assert contiguous(audio) and audio_span(audio) == audio_span(want_audio)
    times = [p.t for p in packets]
    assert len(packets) == cap.packets and times == sorted(times)


def test_a_frame_filter_set_on_a_held_capture_keeps_the_analysers_frames(clip):
    """``filter_frames`` on a capture that has already played: the file converts fewer frames, and a gate of
    the same rate fed what it delivers passes the same frames as one fed every frame of the clip."""
    every = [f.t for f in run_capture(clip, speed=None)[3]]
    analyser = RateGate(10.0)
    want = [t for t in every if analyser(t)]

    frames: list[float] = []
    source = MediaFileSource(clip)
    cap = CaptureThread(
        source, speed=2.0, on_packet=lambda p: frames.append(p.t) if isinstance(p, VideoFrame) else None
    )
    cap.start(held=True)
    while cap.packets < 12:  # some frames held, not all
        time.sleep(0.01)
    cap.filter_frames(RateGate(10.0))
    cap.start()
    assert cap.join(timeout=30)
    gate = RateGate(10.0)
    assert [t for t in frames if gate(t)] == want
    assert 0 < source.frames_skipped and len(frames) < len(every)


def test_a_held_capture_waits_when_its_hold_is_full_and_loses_nothing(clip, monkeypatch):
    """A hold is bounded (decoded frames are large): past ``HOLD_MAX_BYTES`` the source waits, as if it had started
    when the run took it over, and every packet still arrives once, in order."""
    monkeypatch.setattr(pacing, "HOLD_MAX_BYTES", 8 * 32 * 32 * 3)  # eight of the clip's frames
    packets: list = []
    cap = CaptureThread(MediaFileSource(clip), speed=None, on_packet=packets.append)
    cap.start(held=True)
    time.sleep(0.5)  # unpaced: without the bound the whole clip would be held by now
    held = cap.packets
    assert packets == [] and 0 < held < 30
    cap.start()
    assert cap.join(timeout=30)
    frames = [p.t for p in packets if isinstance(p, VideoFrame)]
    assert (
        len(frames) == 30 and frames == sorted(frames) and contiguous([p for p in packets if isinstance(p, AudioChunk)])
    )
