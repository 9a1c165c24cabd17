"""Fixtures of the participant tests: a real meeting of GRID talking faces, built as the scripts build them."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammsa.participants.plan import MeetingSpec
from streammsa.participants.suites import build_meeting
from streammsa.participants.truth import MeetingTruth


@pytest.fixture(scope="session")
def grid_meeting(shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth]:
    """40 s: two GRID speakers taking turns and a third face on screen that never speaks (2x2 screen)."""
    spec = MeetingSpec("faces", "grid", speakers=2, silent_faces=1, duration_s=40.0, seed=31)
    out = tmp_path_factory.mktemp("meetings")
    return out / spec.name, build_meeting(spec, shared_data, out)
