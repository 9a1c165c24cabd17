"""Evidence, not presence: a window reads a voice only with speech in it, a face only when found in enough
frames, and every present modality carries a confidence in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.engine.evidence import EvidenceConfig, face_confidence, voice_confidence
from streammsa.engine.windowing import Window, collate, slice_window
from streammsa.features.cache import FeatureCache
from streammsa.features.spec import FeatureSpec, ModalitySpec
from streammsa.features.voice_activity import FRAME_S


def small_spec() -> FeatureSpec:
    return FeatureSpec(
        text=ModalitySpec("text", "t", 3, 0.0),
        audio=ModalitySpec("audio", "a", 2, 25.0),
        vision=ModalitySpec("vision", "v", 4, 10.0),
        window_s=4.0,
        hop_s=1.0,
    )


def caches(speech_from: float, face_every: int) -> dict:
    audio, speech = FeatureCache(2, name="audio"), FeatureCache(1, name="speech")
    vision, checks = FeatureCache(4, name="vision"), FeatureCache(1, name="face_checks")
    t = np.arange(0, 8, 0.04)
    audio.append_many(t, np.ones((len(t), 2)))
    tv = np.arange(0, 8, FRAME_S)
    speech.append_many(tv, (tv >= speech_from).astype(np.float32)[:, None] * 0.9)
    tf = np.arange(0, 8, 0.1)
    has_face = (np.arange(len(tf)) % face_every == 0).astype(np.float32)
    checks.append_many(tf, has_face[:, None])
    vision.append_many(tf[has_face > 0], np.ones((int(has_face.sum()), 4)))
    return {"text": None, "audio": audio, "vision": vision, "speech": speech, "face_checks": checks}


def test_a_silent_window_has_no_voice_and_a_speaking_one_has_a_confident_voice():
    c = caches(speech_from=4.0, face_every=1)
    silent = slice_window(Window("s", 3, 0.0, 4.0), c, small_spec())
    assert silent.present["audio"] is False and silent.confidence["audio"] is None
    assert silent.features["audio"].shape == (0, 2)  # masked, never zeros read as a voice
    speaking = slice_window(Window("s", 7, 4.0, 8.0), c, small_spec())
    assert speaking.present["audio"] is True and speaking.confidence["audio"] == 1.0
    assert speaking.confidence["vision"] == 1.0 and speaking.confidence["text"] is None  # no words: absent
    batch = collate([silent, speaking], small_spec())
    assert batch.present[:, 1].tolist() == [False, True]


def test_a_little_speech_gives_a_voice_with_low_confidence():
    c = caches(speech_from=3.0, face_every=1)  # 1 s of speech in [0, 4)
    x = slice_window(Window("s", 3, 0.0, 4.0), c, small_spec())
    assert x.present["audio"] and 0.4 <= x.confidence["audio"] <= 0.6


def test_a_face_found_in_too_few_frames_is_absent():
    rare = slice_window(Window("s", 3, 0.0, 4.0), caches(0.0, face_every=5), small_spec())  # 20 % of frames
    assert rare.present["vision"] is False and rare.confidence["vision"] is None
    half = slice_window(Window("s", 3, 0.0, 4.0), caches(0.0, face_every=2), small_spec())
    assert half.present["vision"] and half.confidence["vision"] == 0.5


def test_confidence_rules():
    cfg = EvidenceConfig()
    frames = int(round(1.0 / FRAME_S))  # one second of frames
    assert voice_confidence(np.full(frames, 0.1), cfg) == 0.0  # below the speech threshold
    assert voice_confidence(np.full(frames, 0.9), cfg) == pytest.approx(0.5, abs=0.02)  # 1 s of 2 s for full
    assert face_confidence(np.zeros(0), cfg) == 0.0
    assert face_confidence(np.array([1, 1, 0, 0]), cfg) == 0.5
