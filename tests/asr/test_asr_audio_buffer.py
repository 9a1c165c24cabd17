"""The recognisers' audio buffer: chunks placed on the stream clock, read and cut as one array (joined when read)."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.asr.audio_buffer import AudioBuffer
from streammsa.capture.packets import SAMPLE_RATE


def test_chunks_read_cut_and_read_again_as_one_array_on_the_stream_clock():
    rng = np.random.default_rng(0)
    chunks = [rng.standard_normal(640).astype(np.float32) for _ in range(50)]  # 40-ms chunks, 2 s
    buf, want = AudioBuffer(), np.concatenate(chunks)
    for k, c in enumerate(chunks[:30]):
        assert buf.insert(c, 5.0 + k * 0.04) == 640
    assert len(buf) == 30 * 640 and buf.end == pytest.approx(5.0 + 1.2)
    np.testing.assert_array_equal(buf.samples, want[: 30 * 640])
    assert buf.cut(5.5)
    assert buf.offset == pytest.approx(5.5) and len(buf) == 30 * 640 - SAMPLE_RATE // 2
    for k, c in enumerate(chunks[30:], start=30):  # chunks inserted after a cut land after what is kept
        buf.insert(c, 5.0 + k * 0.04)
    assert not buf.cut(5.0)  # nothing before the buffer's start to drop
    assert buf.cut(6.0)
    assert len(buf) == SAMPLE_RATE and buf.end == pytest.approx(7.0)
    np.testing.assert_array_equal(buf.samples, want[SAMPLE_RATE:])


def test_a_gap_between_chunks_becomes_silence_and_an_overlap_is_cut():
    buf = AudioBuffer()
    buf.insert(np.ones(1600, np.float32), 0.0)
    buf.insert(np.full(1600, 2.0, np.float32), 0.2)  # 0.1 s after the first ended
    buf.insert(np.full(1600, 3.0, np.float32), 0.25)  # overlaps the second by 0.05 s
    x = buf.samples
    assert len(x) == len(buf) == 5600 and buf.end == pytest.approx(0.35)  # 0.1 s of silence, 0.05 s cut
    assert (x[1600:3200] == 0).all() and (x[3200:4800] == 2).all() and (x[4800:] == 3).all()
