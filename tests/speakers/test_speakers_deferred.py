"""DeferredDiarizer (BatchDiarizer behind the online interface) and OnlineDiarizer.final_activity, on the real
40-s GRID meeting of the participant tests (two speakers and a silent face), decoded with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk
from streammsa.participants.plan import MeetingSpec
from streammsa.participants.suites import build_meeting
from streammsa.speakers.batch import BatchDiarizer
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.deferred import DeferredDiarizer
from streammsa.speakers.online import OnlineDiarizer
from streammsa.speakers.segmentation import FRAME_STEP_S
from streammsa.speakers.turns import frame_at, frame_start

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def grid_chunks(shared_data: Path, tmp_path_factory) -> list[AudioChunk]:
    """The audio chunks of tests/participants/conftest.py's ``grid_meeting``, as the replay decodes them."""
    spec = MeetingSpec("faces", "grid", speakers=2, silent_faces=1, duration_s=40.0, seed=31)
    out = tmp_path_factory.mktemp("meetings")
    truth = build_meeting(spec, shared_data, out)
    with MediaFileSource(out / spec.name / truth.media, video=False) as src:
        return [p for p in src if isinstance(p, AudioChunk)]


@pytest.fixture(scope="module")
def batch(segmenter, embedder) -> BatchDiarizer:
    return BatchDiarizer(segmenter=segmenter, embedder=embedder)


def _deferred(segmenter, embedder) -> DeferredDiarizer:
    return DeferredDiarizer(segmenter=segmenter, embedder=embedder)


def _padded(activity: np.ndarray, columns: int) -> np.ndarray:
    out = np.zeros((len(activity), columns), dtype=bool)
    out[:, : activity.shape[1]] = activity
    return out


def test_nothing_is_final_before_finish_and_then_it_is_the_batch_diarization(grid_chunks, batch, segmenter, embedder):
    d = _deferred(segmenter, embedder)
    max_speakers = DiarizationConfig().max_speakers
    for chunk in grid_chunks:
        d.insert_audio_chunk(chunk.samples, chunk.t)
        assert d.process() == 0.0
    assert d.audio_end == pytest.approx(grid_chunks[-1].t_end, abs=1 / SAMPLE_RATE)
    assert (d.final_until, d.final_frame, d.num_speakers) == (0.0, 0, 0)
    assert d.final_activity().shape == (0, max_speakers) and d.speaking(0.0, 40.0) == {}
    assert len(d.diarization().activity) == 0 and d.diarization().turns == []

    final = d.finish()
    expected = batch.diarize(np.concatenate([c.samples for c in grid_chunks]))
    assert len(expected.speakers) >= 2  # real speech was diarized, not an empty answer
    assert final == d.final_until == expected.end == frame_start(len(expected.activity))
    got = d.diarization()
    np.testing.assert_array_equal(got.activity, expected.activity)
    assert got.turns == expected.turns and d.num_speakers == len(expected.speakers)
    np.testing.assert_array_equal(d.final_activity(), _padded(expected.activity, max_speakers))
    np.testing.assert_array_equal(d.final_activity(1000), _padded(expected.activity, max_speakers)[1000:])
    for t0, t1 in [(0.0, 40.0), (5.0, 12.5), (30.0, 31.0)]:  # seconds of decided frames [t0, t1)
        secs = expected.activity[max(frame_at(t0), 0) : frame_at(t1)].sum(axis=0) * FRAME_STEP_S
        assert d.speaking(t0, t1) == pytest.approx({s: x for s, x in enumerate(secs) if x})
    assert d.process() == final  # finishing decided everything; nothing moves after


def test_a_gap_becomes_silence_and_an_overlap_keeps_only_its_new_part(grid_chunks, batch, segmenter, embedder):
    audio = np.concatenate([c.samples for c in grid_chunks])[: 16 * SAMPLE_RATE]
    d = _deferred(segmenter, embedder)
    d.insert_audio_chunk(audio[: 4 * SAMPLE_RATE], 0.0)
    # 4-6 s never arrives (a capture gap); the next chunk says where it belongs on the stream clock
    d.insert_audio_chunk(audio[6 * SAMPLE_RATE : 10 * SAMPLE_RATE], 6.0)
    assert d.audio_end == 10.0
    # a chunk re-sent from 9 s: its first second is already there (here: noise, to show it is not used)
    again = audio[9 * SAMPLE_RATE : 16 * SAMPLE_RATE].copy()
    again[:SAMPLE_RATE] = np.random.default_rng(0).normal(0, 0.3, SAMPLE_RATE).astype(np.float32)
    d.insert_audio_chunk(again, 9.0)
    assert d.audio_end == 16.0
    d.insert_audio_chunk(audio[12 * SAMPLE_RATE : 14 * SAMPLE_RATE], 12.0)  # wholly old: adds nothing
    assert d.audio_end == 16.0
    d.finish()

    expected_audio = audio.copy()
    expected_audio[4 * SAMPLE_RATE : 6 * SAMPLE_RATE] = 0.0
    expected = batch.diarize(expected_audio)
    np.testing.assert_array_equal(d.diarization().activity, expected.activity)
    assert d.diarization().turns == expected.turns
    assert not expected.activity[frame_at(4.2) : frame_at(5.8)].any()  # the gap is silence
    assert expected.activity[frame_at(6.0) :].any()  # and what came after it is placed after it


def test_online_final_activity_hands_out_each_decided_frame_once_and_never_changes_it(grid_chunks, segmenter, embedder):
    cfg = DiarizationConfig()
    d = OnlineDiarizer(cfg, segmenter, embedder)
    assert d.final_activity().shape == (0, cfg.max_speakers)
    copied, pieces, snapshots = 0, [], []
    for k, chunk in enumerate(grid_chunks[: len(grid_chunks) // 2]):  # the first 20 s, as the speakers worker
        d.insert_audio_chunk(chunk.samples, chunk.t)
        d.process()
        rows = d.final_activity(copied)
        assert rows.shape == (d.final_frame - copied, cfg.max_speakers)
        pieces.append(rows)
        copied += len(rows)
        if k % 50 == 0:
            snapshots.append(d.final_activity(0))
        assert d.final_activity(copied).shape == (0, cfg.max_speakers)  # nothing new without new audio
    d.finish()
    pieces.append(d.final_activity(copied))
    handed = np.concatenate(pieces)
    assert len(handed) == d.final_frame > 0 and handed.any()
    full = d.final_activity()
    np.testing.assert_array_equal(handed, full)
    for snap in snapshots:  # decided frames read earlier are the same frames now
        np.testing.assert_array_equal(snap, full[: len(snap)])
    result = d.diarization().activity
    np.testing.assert_array_equal(full[:, : result.shape[1]], result)
    assert not full[:, result.shape[1] :].any()
    full[:] = True  # a copy: the caller may keep or change it
    assert not np.array_equal(d.final_activity(), full)
