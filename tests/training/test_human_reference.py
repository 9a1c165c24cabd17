"""People's reading of CREMA-D's acted polarity (training/evaluation/human_reference.py): the crowd reads better than
one person, the face better than the voice, and the scores come from the votes as cast."""

from __future__ import annotations

import pytest

from streammsa.datasets.corpus_labels import read_cremad_votes
from streammsa.training.evaluation.human_reference import people_score, polar_clips


@pytest.fixture(scope="module")
def clips(shared_data):
    return read_cremad_votes(shared_data / "cremad")


def test_people_read_the_face_better_than_the_voice_and_a_crowd_better_than_one(clips):
    voice, face = people_score(clips, "voice", draws=3), people_score(clips, "face", draws=3)
    assert voice.clips == face.clips == len(polar_clips(clips)) > 5000
    assert 0.5 < voice.one_person < voice.crowd < face.crowd <= 1.0
    assert voice.one_person < face.one_person < face.crowd
    assert voice.one_person_range[0] <= voice.one_person <= voice.one_person_range[1]
    assert 8 < voice.raters < 12


def test_a_unanimous_crowd_scores_as_its_one_person(clips):
    unanimous = [c for c in polar_clips(clips) if c.voice.agreement == 1.0]
    s = people_score(unanimous, "voice", draws=2)
    assert s.one_person == pytest.approx(s.crowd)
    assert s.one_person_range[0] == pytest.approx(s.one_person_range[1])
