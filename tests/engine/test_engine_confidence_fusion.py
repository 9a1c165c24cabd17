"""Each modality counts in the overall reading by its confidence; the voice is read against its speaker's baseline."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa import MODALITIES
from streammsa.engine.confidence_fusion import fused_intensity, run_with_contributions, without
from streammsa.engine.inference import EngineConfig, InferenceEngine
from streammsa.engine.voice_baseline import VoiceBaseline
from streammsa.engine.windowing import Window, WindowInputs, collate


def test_full_confidence_and_no_baseline_keep_the_models_reading():
    assert fused_intensity(1.2, {"text": 0.8, "audio": -0.5, "vision": 0.0}, {"text": 1.0, "audio": None}, {}) == 1.2


def test_a_modality_without_confidence_counts_as_absent_and_half_confidence_as_half():
    d = {"text": 0.8, "audio": -0.5, "vision": 0.0}
    assert fused_intensity(1.2, d, {"text": 1.0, "audio": 0.0}, {}) == pytest.approx(1.2 + 0.5)
    assert fused_intensity(1.2, d, {"text": 1.0, "audio": 0.5}, {}) == pytest.approx(1.2 + 0.25)


def test_a_voice_at_its_speakers_baseline_adds_nothing():
    d = {"text": 0.8, "audio": -0.5, "vision": 0.0}
    assert fused_intensity(1.2, d, {"audio": 1.0}, {"audio": -0.5}) == pytest.approx(1.2 + 0.5)


def test_the_baseline_follows_the_speaker_and_familiarity_grows_with_speech():
    b = VoiceBaseline()
    assert b.familiarity() == 0.0 and b.reading_offset() == 0.0
    for _ in range(8):
        b.update(reading=-1.5, contribution=-0.6, evidence=1.0)
    assert b.familiarity() == pytest.approx(0.5)
    assert b.reading_offset() == pytest.approx(-1.5) and b.contribution_offset() == pytest.approx(-0.6)
    b.update(reading=5.0, contribution=5.0, evidence=0.0)  # no speech: no change
    assert b.reading_offset() == pytest.approx(-1.5)
    assert b.head_offset() == pytest.approx(-1.5)  # no head given: the reading was the head's


def test_the_models_voice_head_is_read_against_its_own_running_mean():
    b = VoiceBaseline()
    b.update(reading=0.5, contribution=0.1, evidence=1.0, head=-2.0)
    b.update(reading=0.3, contribution=0.1, evidence=0.5, head=-1.0)
    assert b.reading_offset() == pytest.approx((0.5 + 0.15) / 1.5)
    assert b.head_offset() == pytest.approx((-2.0 - 0.5) / 1.5)


def test_contributions_are_what_each_present_modality_adds_to_the_models_reading():
    engine = InferenceEngine.from_config(EngineConfig(untrained=True, device="cpu"))
    spec = engine.spec
    rng = np.random.default_rng(0)
    feats = {m: rng.standard_normal((6, spec[m].dim)).astype(np.float32) for m in MODALITIES}
    feats["vision"] = feats["vision"][:0]  # no face
    x = WindowInputs(Window("s", 0, 0.0, 4.0), feats)
    out, contrib = run_with_contributions(engine, [x])
    alone = engine.run(collate([without(x, "text")], spec))
    assert contrib["text"][0] == pytest.approx(float(out.intensity[0] - alone.intensity[0]), abs=1e-5)
    assert contrib["vision"][0] == 0.0


def test_a_speakers_typicality_is_the_mean_over_their_speech_not_one_windows():
    """``VoiceBaseline.typicality``: a speaker's sound (language, microphone, room) is familiar or not as a whole;
    one strongly emotional window that sounds less typical does not make the voice count less."""
    b = VoiceBaseline()
    assert b.typicality() == 1.0  # nothing heard yet (familiarity is 0 then anyway)
    for typical in (1.0, 1.0, 1.0, 0.2):
        b.update(0.0, 0.0, 1.0, typical=typical)
    assert b.typicality() == pytest.approx(0.8)
    b.update(0.0, 0.0, 0.0, typical=0.0)  # a window without speech changes nothing
    assert b.typicality() == pytest.approx(0.8)
