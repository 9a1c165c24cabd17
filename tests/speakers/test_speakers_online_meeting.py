"""Online diarization of a real 4-voice meeting of the dev suite (dev_ravdess4b: RAVDESS actors 13, 17, 19, 22;
actor 17 speaks twice early and then not for a minute), fed in 200-ms chunks as a microphone delivers them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from streammsa.capture.media_file import read_audio
from streammsa.participants.metrics import diarization_error_rate
from streammsa.participants.suites import SUITES, build_meeting
from streammsa.participants.truth import Segment
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.online import OnlineDiarizer

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def quiet_voice_meeting(shared_data: Path, tmp_path_factory):
    spec = next(s for s in SUITES["dev"] if s.name == "dev_ravdess4b")
    spec = replace(spec, name="quiet_voice")
    out = tmp_path_factory.mktemp("meetings")
    truth = build_meeting(spec, shared_data, out, suite="dev")
    return out / spec.name, truth


def test_online_diarization_keeps_a_quiet_voice_and_never_revises_a_decided_frame(
    quiet_voice_meeting, segmenter, embedder
):
    folder, truth = quiet_voice_meeting
    audio = read_audio(folder / truth.media)
    d = OnlineDiarizer(DiarizationConfig(), segmenter, embedder)
    decided, copied, lags = [], 0, []
    for i in range(0, len(audio), 3200):
        d.insert_audio_chunk(audio[i : i + 3200], i / 16000)
        d.process()
        decided.append(d.final_activity(copied))  # what the monitor reads once and never again
        copied = d.final_frame
        lags.append(d.audio_end - d.final_until)
    d.finish()
    decided = np.concatenate(decided)
    assert np.array_equal(d.final_activity(0)[: len(decided)], decided)
    assert float(np.percentile(lags, 95)) <= 6.0
    result = d.diarization()
    hyp = [Segment(str(t.speaker), t.start, t.end) for t in result.turns]
    der = diarization_error_rate(truth.segments, hyp, truth.duration, collar=0.25)
    # Before a re-clustering could no longer drop a live speaker, actor 17's return founded a fifth speaker and
    # later turns went to actor 19 (DER 12.3 %, 5 speakers found; docs/meetings.md's dev table).
    assert len(result.speakers) == len(truth.speakers) == 4
    assert der.der < 0.10, der
