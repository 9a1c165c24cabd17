"""Batch and online diarization of a real two-voice meeting (RAVDESS actors taking turns)."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.capture.media_file import read_audio
from streammsa.participants.metrics import diarization_error_rate
from streammsa.participants.truth import Segment
from streammsa.speakers.batch import BatchDiarizer
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.online import OnlineDiarizer

pytestmark = [pytest.mark.data, pytest.mark.slow]


def _hyp(diarization) -> list[Segment]:
    return [Segment(str(t.speaker), t.start, t.end) for t in diarization.turns]


def test_batch_diarization_finds_both_voices_and_who_spoke_when(two_voice_meeting, segmenter, embedder):
    folder, truth = two_voice_meeting
    d = BatchDiarizer(segmenter=segmenter, embedder=embedder).diarize(read_audio(folder / truth.media))
    main_voices = [s for s in d.speakers if d.speaking(0, truth.duration).get(s, 0) >= 3.0]
    assert len(main_voices) == 2  # 45 s gives few voice prints: a stray short cluster may remain
    der = diarization_error_rate(truth.segments, _hyp(d), truth.duration, collar=0.25)
    assert der.der < 0.15, der


def test_online_diarization_is_final_within_its_bounded_delay(two_voice_meeting, segmenter, embedder):
    folder, truth = two_voice_meeting
    audio = read_audio(folder / truth.media)
    cfg = DiarizationConfig()
    d = OnlineDiarizer(cfg, segmenter, embedder)
    bound = cfg.latency_s + cfg.piece_max_s + cfg.max_wait_s + cfg.step_s + 0.5
    lags, last_final = [], 0.0
    for i in range(0, len(audio), 3200):  # 200-ms chunks, as a microphone delivers them
        d.insert_audio_chunk(audio[i : i + 3200], i / 16000)
        final = d.process()
        assert final >= last_final  # final never moves back
        last_final = final
        lags.append(d.audio_end - final)
    assert max(lags[len(lags) // 4 :]) <= bound
    d.finish()
    assert d.final_until >= truth.duration - 0.1
    result = d.diarization()
    der = diarization_error_rate(truth.segments, _hyp(result), truth.duration, collar=0.25)
    # Speech is found and placed; who is who is decided before the meeting is over, from the few voice
    # prints heard so far, and never revised: on 45 s of two similar voices early pieces found extra
    # speakers (confusion), which docs/meetings.md reports. A whole file does better (test above).
    assert der.missed + der.false_alarm < 0.1 * der.scored_speech_s, der
    assert der.der < 0.35, der
    speaking = d.speaking(truth.segments[0].start, truth.segments[0].end)
    assert max(speaking.values()) > 0.8 * (truth.segments[0].end - truth.segments[0].start)


def test_online_diarization_places_a_late_start_and_a_gap_on_the_stream_clock(segmenter, embedder, two_voice_meeting):
    folder, truth = two_voice_meeting
    audio = read_audio(folder / truth.media)[: 16000 * 20]
    d = OnlineDiarizer(DiarizationConfig(), segmenter, embedder)
    d.insert_audio_chunk(audio[: 16000 * 10], 100.0)  # the stream's audio starts at 100 s
    d.insert_audio_chunk(audio[16000 * 10 :], 112.0)  # and skips 2 s
    d.process()
    d.finish()
    turns = d.diarization().turns
    assert turns and min(t.start for t in turns) >= 100.0
    assert not any(110.2 < 0.5 * (t.start + t.end) < 111.8 and t.duration < 1.5 for t in turns)  # the gap is silence
    assert abs(d.audio_end - (112.0 + len(audio) / 16000 - 10)) < 1e-3
    assert np.isfinite(d.final_until)
