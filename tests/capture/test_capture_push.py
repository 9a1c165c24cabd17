"""PushSource: media a program pushes (feed_audio / feed_frame) becomes stream-clock packets, as a device's would."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, VideoFrame
from streammsa.capture.push import PushSource
from streammsa.errors import InputError, UsageError


def drain(src: PushSource) -> list:
    src.end()
    return list(src)


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_audio_without_times_is_contiguous_by_sample_count():
    src = PushSource(video=False)
    chunks = [tone(220, 0.1, SAMPLE_RATE), tone(220, 0.25, SAMPLE_RATE), tone(220, 0.05, SAMPLE_RATE)]
    for c in chunks:
        src.feed_audio(c)
    got = drain(src)
    assert [len(p.samples) for p in got] == [len(c) for c in chunks]
    for a, b in zip(got, got[1:]):
        assert b.t == pytest.approx(a.t_end, abs=1e-9)
    np.testing.assert_array_equal(np.concatenate([p.samples for p in got]), np.concatenate(chunks))


def test_int16_bytes_and_stereo_arrays_become_float_mono():
    left, right = tone(300, 0.1, SAMPLE_RATE), tone(500, 0.1, SAMPLE_RATE)
    stereo = np.stack([left, right], axis=1)
    pcm16 = (stereo * 32767).astype("<i2")
    src = PushSource(video=False, channels=2)
    src.feed_audio(pcm16.tobytes(), 0.0)  # RealtimeSTT-style raw bytes, interleaved
    src.feed_audio(stereo, 0.1)  # a float array (samples, channels)
    raw, arr = drain(src)
    np.testing.assert_allclose(raw.samples, (left + right) / 2, atol=2e-4)  # int16 quantisation only
    np.testing.assert_allclose(arr.samples, (left + right) / 2, atol=1e-6)
    assert raw.samples.dtype == arr.samples.dtype == np.float32


def test_other_sample_rates_are_resampled_to_16k_keeping_pitch_and_duration():
    src = PushSource(video=False, sample_rate=48_000)
    for _ in range(10):
        src.feed_audio(tone(440, 0.1, 48_000))  # 1 s of 440 Hz in 100-ms chunks
    x = np.concatenate([p.samples for p in drain(src)])
    assert abs(len(x) - SAMPLE_RATE) <= 64  # the resampler's own latency only
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    assert np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)[spectrum.argmax()] == pytest.approx(440, abs=2)


def test_a_gap_in_given_times_is_silence_and_an_overlap_is_dropped():
    src = PushSource(video=False)
    a = tone(200, 1.0, SAMPLE_RATE)
    src.feed_audio(a, 0.0)
    src.feed_audio(a, 1.5)  # 0.5 s were never pushed
    src.feed_audio(a, 2.25)  # overlaps the last 0.25 s
    src.feed_audio(a, 3.255)  # 5 ms early: jitter, taken as contiguous
    got = drain(src)
    assert [p.t for p in got] == pytest.approx([0.0, 1.0, 2.5, 3.25])
    assert np.all(got[1].samples[: SAMPLE_RATE // 2] == 0)  # the gap
    np.testing.assert_array_equal(got[1].samples[SAMPLE_RATE // 2 :], a)
    np.testing.assert_array_equal(got[2].samples, a[SAMPLE_RATE // 4 :])  # the overlap is gone
    assert len(got[3].samples) == len(a)
    for x, y in zip(got, got[1:]):
        assert y.t == pytest.approx(x.t_end)  # contiguous, as a microphone


def test_frames_are_rgb_from_bgr_grey_or_rgba_and_times_must_increase():
    src = PushSource(audio=False)
    bgr = np.zeros((4, 6, 3), np.uint8)
    bgr[..., 0] = 255  # blue in OpenCV's order
    src.feed_frame(bgr, 0.0, bgr=True)
    src.feed_frame(np.full((4, 6), 7, np.uint8), 0.04)
    src.feed_frame(np.full((4, 6, 4), 9, np.uint8), 0.08)
    with pytest.raises(InputError, match="must increase"):
        src.feed_frame(bgr, 0.08)
    with pytest.raises(InputError, match="uint8"):
        src.feed_frame(bgr.astype(np.float32), 0.2)
    first, grey, rgba = drain(src)
    assert isinstance(first, VideoFrame) and first.image[0, 0].tolist() == [0, 0, 255]
    assert grey.image.shape == (4, 6, 3) and grey.image.max() == 7
    assert rgba.image.shape == (4, 6, 3) and rgba.image.max() == 9


def test_frames_without_times_follow_the_source_clock():
    src = PushSource(audio=False)
    for _ in range(3):
        src.feed_frame(np.zeros((2, 2, 3), np.uint8))
    ts = [p.t for p in drain(src)]
    assert ts == sorted(ts) and len(set(ts)) == 3 and ts[0] < 1.0


def test_end_finishes_the_stream_and_later_pushes_are_usage_errors():
    src = PushSource(audio=True, video=False)
    src.feed_audio(np.zeros(160, np.float32))
    assert len(drain(src)) == 1
    with pytest.raises(UsageError, match="ended"):
        src.feed_audio(np.zeros(160, np.float32))
    with pytest.raises(UsageError, match="no video"):
        src.feed_frame(np.zeros((2, 2, 3), np.uint8))


def test_a_full_queue_holds_the_pushing_program_until_the_monitor_takes_packets():
    src = PushSource(video=False, queue_packets=2)
    done = threading.Event()

    def push_three() -> None:
        for _ in range(3):
            src.feed_audio(np.zeros(1600, np.float32))
        done.set()

    pusher = threading.Thread(target=push_three, daemon=True)
    pusher.start()
    assert not done.wait(0.5)  # blocked on the third chunk: back-pressure, nothing dropped
    packets = iter(src)
    next(packets)
    assert done.wait(10)
    src.end()
    assert len(list(packets)) == 2


@pytest.mark.data
def test_a_real_clip_pushed_through_a_capture_thread_arrives_as_the_file_gives_it(grid_clip):
    file_packets = list(MediaFileSource(grid_clip))
    src = PushSource()
    got = []
    cap = CaptureThread(src, on_packet=got.append, speed=1.0).start()  # a live source: no pacing
    for pkt in file_packets:
        if isinstance(pkt, AudioChunk):
            src.feed_audio(pkt.samples, pkt.t)
        else:
            src.feed_frame(pkt.image, pkt.t)
    src.end()
    assert cap.join(timeout=30)
    audio = [p for p in got if isinstance(p, AudioChunk)]
    frames = [p for p in got if isinstance(p, VideoFrame)]
    want_frames = [p for p in file_packets if isinstance(p, VideoFrame)]
    np.testing.assert_array_equal(
        np.concatenate([p.samples for p in audio]),
        np.concatenate([p.samples for p in file_packets if isinstance(p, AudioChunk)]),
    )
    assert [f.t for f in frames] == [f.t for f in want_frames]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, want_frames))
