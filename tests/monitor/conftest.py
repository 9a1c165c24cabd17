"""Fixtures of the monitor tests: meetings built from real clips (as scripts/build_meetings.py builds them)
and the monitor's components, loaded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.media import write_media

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import AudioChunk, VideoFrame
from streammsa.engine.inference import EngineConfig
from streammsa.monitor import Components, MonitorConfig
from streammsa.participants.plan import MeetingSpec
from streammsa.participants.suites import build_meeting
from streammsa.participants.truth import MeetingTruth


@pytest.fixture(scope="session")
def monitor_components() -> Components:
    """The trained default model and every extractor, loaded once for the meeting tests."""
    return Components.build(MonitorConfig(engine=EngineConfig(device="cpu"))).wait()


def _meeting(spec: MeetingSpec, shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth]:
    out = tmp_path_factory.mktemp("meetings")
    truth = build_meeting(spec, shared_data, out)
    return out / spec.name / truth.media, truth


@pytest.fixture(scope="session")
def two_people(shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth]:
    """24 s: two GRID speakers side by side taking turns (their own faces and voices)."""
    return _meeting(
        MeetingSpec("two_people", "grid", speakers=2, duration_s=24.0, seed=41), shared_data, tmp_path_factory
    )


@pytest.fixture(scope="session")
def voices_only(shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth]:
    """24 s of two RAVDESS actors taking turns, audio only (nobody seen)."""
    spec = MeetingSpec("voices_only", "ravdess", speakers=2, duration_s=24.0, seed=42)
    return _meeting(spec, shared_data, tmp_path_factory)


@pytest.fixture(scope="session")
def listener_and_offscreen(shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth]:
    """24 s: two GRID speakers, a GRID face that never speaks, a RAVDESS voice never seen (2x2 screen)."""
    spec = MeetingSpec("mixed", "grid", speakers=2, silent_faces=1, offscreen_voices=1, duration_s=24.0, seed=43)
    return _meeting(spec, shared_data, tmp_path_factory)


@pytest.fixture(scope="session")
def comes_and_goes(shared_data: Path, tmp_path_factory) -> tuple[Path, MeetingTruth, dict]:
    """32 s of two GRID speakers, edited: the left person's face appears only at 3 s (heard before seen), and
    the right person leaves at 8 s (tile black, their later turns silent)."""
    spec = MeetingSpec("comes_and_goes", "grid", speakers=2, duration_s=32.0, seed=44)
    media, truth = _meeting(spec, shared_data, tmp_path_factory)
    left, right = sorted(truth.tiles, key=lambda p: truth.tiles[p][0])
    appear_s, leave_s = 3.0, 8.0
    audio, t0 = [], None
    with MediaFileSource(media, video=False) as src:
        for pkt in src:
            if isinstance(pkt, AudioChunk):
                t0 = pkt.t if t0 is None else t0
                audio.append(pkt.samples)
    samples = np.concatenate(audio)
    for seg in truth.segments:
        if seg.person == right and seg.start >= leave_s:
            samples[int(seg.start * 16000) : int(seg.end * 16000) + 1] = 0.0

    def frames():
        with MediaFileSource(media, audio=False) as src:
            for pkt in src:
                if isinstance(pkt, VideoFrame):
                    img = pkt.image.copy()
                    w = img.shape[1]
                    if pkt.t < appear_s:
                        img[:, : w // 2] = 0
                    if pkt.t >= leave_s:
                        img[:, w // 2 :] = 0
                    yield img

    out = tmp_path_factory.mktemp("comes_and_goes_edited") / "meeting.mp4"
    write_media(out, frames(), fps=25, audio=samples)
    return out, truth, {"left": left, "right": right, "appear_s": appear_s, "leave_s": leave_s}
