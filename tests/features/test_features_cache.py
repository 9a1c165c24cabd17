"""Feature caches: windows slice cached features; every frame, hop and segment is encoded once."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from streammsa.asr.words import Word
from streammsa.features.audio import AudioFeatureExtractor, decode_audio_file
from streammsa.features.cache import FeatureCache, TextSegmentCache
from streammsa.features.text import DIM as TEXT_DIM
from streammsa.features.text import TextEncoder
from streammsa.features.vision import DIM as VISION_DIM
from streammsa.features.vision import FaceFeatureExtractor


def windows(t_end: float, window_s: float, hop_s: float):
    t1 = window_s
    while t1 <= t_end + 1e-9:
        yield t1 - window_s, t1
        t1 += hop_s


def test_slice_is_half_open_and_copies():
    cache = FeatureCache(dim=2, horizon_s=100)
    cache.append_many(np.arange(10, dtype=float), np.arange(20, dtype=np.float32).reshape(10, 2))
    times, values = cache.slice(2.0, 5.0)
    np.testing.assert_array_equal(times, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(values, [[4, 5], [6, 7], [8, 9]])
    values[:] = -1  # a caller's copy never corrupts the cache
    assert cache.slice(2.0, 3.0)[1].tolist() == [[4.0, 5.0]]
    assert len(cache.window(20.0, 30.0)) == 0
    assert len(cache.window(5.0, 5.0)) == 0


def test_entries_older_than_the_horizon_are_evicted_and_memory_stays_bounded():
    cache = FeatureCache(dim=3, horizon_s=2.0)
    for i in range(5000):  # 200 s at 25 Hz
        cache.append(i * 0.04, np.full(3, i, dtype=np.float32))
    assert cache.appended == 5000
    assert len(cache) == 51  # 2 s horizon at 25 Hz, both ends included
    assert cache.oldest_time == pytest.approx(cache.latest_time - 2.0)
    assert cache._times.shape[0] <= 256  # storage compacts instead of growing
    assert len(cache.window(0.0, 100.0)) == 0
    assert cache.evict_before(cache.latest_time) == 50


def test_out_of_order_and_misshapen_appends_are_refused():
    cache = FeatureCache(dim=2)
    cache.append(1.0, np.zeros(2))
    with pytest.raises(ValueError, match="stream order"):
        cache.append(0.5, np.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        cache.append(2.0, np.zeros(3))
    cache.append(1.0, np.ones(2))  # equal times are fine (tokens of one word)
    assert len(cache) == 2


@pytest.mark.data
def test_overlapping_windows_slice_audio_computed_once(shared_data: Path):
    x = decode_audio_file(shared_data / "ravdess" / "audio" / "Actor_01" / "03-01-03-01-01-01-01.flac")
    extractor = AudioFeatureExtractor()
    reference = extractor.extract_timed(x, t0=0.0)
    computed_for_reference = extractor.frames_computed
    cache = FeatureCache(dim=extractor.dim, horizon_s=30.0, name="audio")
    stream = extractor.stream(t0=0.0)
    for i in range(0, len(x), 320):  # 20 ms chunks, as a microphone delivers them
        cache.extend(stream.push(x[i : i + 320]))
    cache.extend(stream.flush())
    n_frames = len(reference)
    assert extractor.frames_computed - computed_for_reference == n_frames  # each hop once
    n_windows = 0
    for t0, t1 in windows(len(x) / 16000, window_s=2.0, hop_s=0.25):
        times, values = cache.slice(t0, t1)
        keep = (reference.times >= t0) & (reference.times < t1)
        np.testing.assert_allclose(values, reference.values[keep], atol=1e-5)
        assert len(times) == 50  # 2 s at 25 Hz
        n_windows += 1
    assert n_windows >= 5  # a frame lies in up to 8 of these windows, yet nothing was recomputed
    assert extractor.frames_computed - computed_for_reference == n_frames
    assert cache.counters()["slices"] == n_windows


@pytest.mark.data
def test_overlapping_windows_slice_face_frames_analysed_once(grid_clip: Path):
    cache = FeatureCache(dim=VISION_DIM, horizon_s=10.0, name="vision")
    with av.open(str(grid_clip)) as container, FaceFeatureExtractor(fps=10) as fx:
        for frame in container.decode(video=0):
            t = float(frame.time)
            if fx.due(t):
                v = fx.process(frame.to_ndarray(format="rgb24"), t)
                if v is not None:
                    cache.append(t, v)
        analysed = fx.frames_analysed
        for t0, t1 in windows(3.0, window_s=1.0, hop_s=0.25):
            times, values = cache.slice(t0, t1)
            assert len(times) == 10 and values.shape == (10, VISION_DIM)
        assert fx.frames_analysed == analysed == cache.appended == 30


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder()


def test_recommitting_a_segment_reuses_its_encoding(encoder):
    segments = TextSegmentCache(encoder, dim=TEXT_DIM)
    first = [Word(" this", 0.0, 0.3), Word(" is", 0.3, 0.5), Word(" fine", 0.5, 0.9)]
    second = [Word(" really", 1.2, 1.5), Word(" great", 1.5, 2.0)]
    calls = encoder.calls
    a = segments.commit("seg-1", first)
    b = segments.commit("seg-2", second)
    again = segments.commit("seg-1", list(first))
    assert again is a
    assert encoder.calls == calls + 2 and segments.encoded == 2 and segments.reused == 1
    corrected = segments.commit("seg-1", [Word(" this", 0.0, 0.3), Word(" is", 0.3, 0.5), Word(" awful", 0.5, 0.9)])
    assert encoder.calls == calls + 3 and not np.array_equal(corrected.values, a.values)
    times, values = segments.slice(0.4, 1.6)  # spans both segments: "is", "awful", "really"
    np.testing.assert_allclose(times, [0.4, 0.7, 1.35])
    np.testing.assert_array_equal(values[2], b.values[0])
    assert encoder.calls == calls + 3  # slicing never encodes


def test_old_segments_are_evicted(encoder):
    segments = TextSegmentCache(encoder, dim=TEXT_DIM, horizon_s=5.0)
    for i in range(6):
        segments.commit(i, [Word(" word", 2.0 * i, 2.0 * i + 0.5)])
    assert len(segments) == 3  # segments that ended > 5 s before the newest one are gone
    assert 0 not in segments and 5 in segments
    assert len(segments.window(0.0, 100.0)) == 3
