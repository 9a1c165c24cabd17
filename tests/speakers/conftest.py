"""Fixtures of the diarization tests: the real models, loaded once, and a real 2-voice meeting."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammsa.participants.plan import MeetingSpec
from streammsa.participants.suites import build_meeting
from streammsa.participants.truth import MeetingTruth
from streammsa.speakers.embedding import SpeakerEmbedder
from streammsa.speakers.segmentation import SpeakerSegmenter


@pytest.fixture(scope="session")
def segmenter() -> SpeakerSegmenter:
    return SpeakerSegmenter()


@pytest.fixture(scope="session")
def embedder() -> SpeakerEmbedder:
    return SpeakerEmbedder()


@pytest.fixture(scope="session")
def two_voice_meeting(shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth]:
    """45 s of two RAVDESS actors (dev actors) taking turns, built as scripts/build_meetings.py builds them."""
    spec = MeetingSpec("two_voices", "ravdess", speakers=2, duration_s=45.0, seed=21)
    out = tmp_path_factory.mktemp("meetings")
    truth = build_meeting(spec, shared_data, out, suite="dev")
    return out / spec.name, truth
