"""Constructed meetings: real clips placed by a seeded script, media and truth that agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streammsa.capture.media_file import MediaFileSource, read_audio
from streammsa.capture.packets import VideoFrame
from streammsa.participants.plan import MeetingSpec, plan_meeting
from streammsa.participants.render import grid_shape
from streammsa.participants.sources import grid_text, grid_utterances, ravdess_utterances
from streammsa.participants.truth import MeetingTruth

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def voices(shared_data: Path):
    return ravdess_utterances(shared_data / "ravdess" / "audio", [13, 14, 15, 16], per_actor=8)


def test_turns_last_2_to_6_s_everyone_speaks_and_the_plan_is_reproducible(voices):
    spec = MeetingSpec("m", "ravdess", speakers=4, duration_s=90.0, seed=5)
    plan = plan_meeting(spec, voices, {})
    assert plan == plan_meeting(spec, voices, {})
    assert {p.person for p in plan.placements} == set(plan.people)
    turns, current = [], None
    for p in plan.placements:  # consecutive placements of one person form a turn
        if current and current[0] == p.person and p.at - current[2] < 0.5:
            current[2] = p.end
        else:
            current = [p.person, p.at, p.end]
            turns.append(current)
    lengths = [end - start for _, start, end in turns]
    assert min(lengths) > 1.0 and max(lengths) <= 6.0 + 0.5
    assert all(b[1] >= a[2] for a, b in zip(turns, turns[1:]))  # no overlap unless asked for


def test_overlap_makes_the_next_speaker_start_before_the_last_one_ends(voices):
    plan = plan_meeting(MeetingSpec("m", "ravdess", speakers=4, duration_s=90.0, overlap=0.5, seed=6), voices, {})
    starts_early = sum(b.at < a.end and b.person != a.person for a, b in zip(plan.placements, plan.placements[1:]))
    assert starts_early >= 3


def test_grid_speakers_and_sentences_come_from_the_file_names(shared_data: Path):
    people = grid_utterances(shared_data / "grid")
    assert len(people) == 10 and len(people["grid:pwij3p"]) == 2  # one man recorded two clips in this copy
    assert grid_text("bbaf2n") == "bin blue at f two now"
    assert grid_text("lwbsza") == "lay white by s zero again"


def test_media_and_truth_agree(grid_meeting):
    folder, truth = grid_meeting
    again = MeetingTruth.load(folder)
    assert again == truth
    audio = read_audio(folder / truth.media)
    assert abs(len(audio) / 16000 - truth.duration) < 0.2
    assert all(0 <= s.start < s.end <= truth.duration for s in truth.segments)
    # speech where the truth says, silence where nobody speaks
    speech = np.concatenate([audio[int(s.start * 16000) : int(s.end * 16000)] for s in truth.segments])
    mask = np.ones(len(audio), bool)
    for s in truth.segments:
        mask[max(0, int(s.start * 16000) - 3200) : int(s.end * 16000) + 3200] = False
    assert np.sqrt(np.mean(speech**2)) > 10 * np.sqrt(np.mean(audio[mask] ** 2) + 1e-12)
    cols, rows = grid_shape(len(truth.tiles))
    with MediaFileSource(folder / truth.media, audio=False) as src:
        frame = next(p for p in src if isinstance(p, VideoFrame))
    assert frame.image.shape == (rows * 288, cols * 360, 3)
    assert len(truth.tiles) == 3 and len(truth.speakers) == 2
