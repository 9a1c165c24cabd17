"""Ring buffers keep memory bounded, count what they drop and stay aligned to the stream clock."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.capture.ring_buffer import AudioRing, FrameRing


def ramp(t0: float, n: int) -> np.ndarray:
    """Samples whose value is their own stream time, so reads can be checked exactly."""
    return (t0 + np.arange(n) / SAMPLE_RATE).astype(np.float32)


def test_audio_ring_reads_back_the_requested_time_range():
    ring = AudioRing(capacity_s=10)
    for i in range(20):
        ring.append(ramp(i * 0.1, 1600), t_start=i * 0.1)
    x = ring.read(0.5, 1.0)
    assert len(x) == 8000
    assert x[0] == pytest.approx(0.5, abs=1e-4) and x[-1] == pytest.approx(1.0 - 1 / SAMPLE_RATE, abs=1e-4)
    assert ring.span() == pytest.approx((0.0, 2.0))
    assert ring.dropped == 0


def test_audio_ring_drops_oldest_counts_them_and_keeps_memory_fixed():
    ring = AudioRing(capacity_s=1.0)
    nbytes = ring.nbytes
    for i in range(50):  # 5 s into a 1 s ring
        ring.append(ramp(i * 0.1, 1600), t_start=i * 0.1)
    assert ring.nbytes == nbytes == SAMPLE_RATE * 4
    assert ring.dropped == 4 * SAMPLE_RATE
    oldest, newest = ring.span()
    assert (oldest, newest) == pytest.approx((4.0, 5.0))
    assert len(ring.read(0.0, 4.0)) == 0  # gone
    tail = ring.read(4.5, 5.0)
    assert tail[0] == pytest.approx(4.5, abs=1e-4)
    start, everything = ring.read_from(0.0)
    assert start == pytest.approx(4.0) and len(everything) == SAMPLE_RATE


def test_audio_ring_pads_a_capture_gap_with_silence_and_trims_overlap():
    ring = AudioRing(capacity_s=5)
    ring.append(np.ones(1600, np.float32), t_start=0.0)
    ring.append(np.ones(1600, np.float32), t_start=0.2)  # 0.1 s gap
    assert ring.span()[1] == pytest.approx(0.3)
    assert np.all(ring.read(0.1, 0.2) == 0) and np.all(ring.read(0.2, 0.3) == 1)
    ring.append(np.full(1600, 2.0, np.float32), t_start=0.25)  # overlaps 0.05 s
    assert ring.span()[1] == pytest.approx(0.35)
    assert np.all(ring.read(0.2, 0.3) == 1) and np.all(ring.read(0.3, 0.35) == 2)


def test_audio_ring_is_consistent_under_a_concurrent_writer_and_reader():
    ring = AudioRing(capacity_s=0.5)
    stop = threading.Event()
    bad: list[str] = []

    def reader():
        while not stop.is_set():
            t0, t1 = ring.span()
            x = ring.read(t0, t1)
            # Every sample holds its own time: a torn read would break the ramp.
            if len(x) > 1 and not np.allclose(np.diff(x), 1 / SAMPLE_RATE, atol=1e-4):
                bad.append(f"non-contiguous read at {t0:.3f}")

    th = threading.Thread(target=reader)
    th.start()
    for i in range(400):
        ring.append(ramp(i * 0.01, 160), t_start=i * 0.01)
    stop.set()
    th.join()
    assert not bad
    assert ring.dropped == 400 * 160 - ring.capacity


def test_frame_ring_bounds_frames_counts_drops_and_slices_by_time():
    ring = FrameRing(capacity=10)
    for i in range(25):
        ring.append(np.full((4, 4, 3), i, np.uint8), t=i * 0.04)
    assert len(ring) == 10 and ring.dropped == 15
    frames = ring.read(0.6, 0.8)
    assert [round(t, 2) for t, _ in frames] == [0.6, 0.64, 0.68, 0.72, 0.76]
    t, img = ring.latest()
    assert t == pytest.approx(0.96) and img[0, 0, 0] == 24
    assert ring.nearest(0.7)[0] == pytest.approx(0.68) or ring.nearest(0.7)[0] == pytest.approx(0.72)
