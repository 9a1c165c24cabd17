"""How well people read an acted clip's polarity from the voice alone and the face alone: a scale for the readers.

The naming target of issue #11 asks, by the reading-quality curve (docs/results.md, "Session 22"), for a voice whose
acted polarity is ranked at about 0.97 ROC AUC and a face at 0.99. CREMA-D's crowd ratings (../shared/data/cremad:
each of 7,442 acted clips rated by about 9-10 people from the voice alone, the face alone, and both) say how well
people do on the same question: happiness against the negative emotions (anger, disgust, fear, sadness) as acted,
ranked by

* the crowd: the expected intensity of the clip's votes (``corpus_labels.vote_valence``, the project's one mapping
  from emotion to intensity), a crowd of about nine people;
* one person: each clip read by one of its votes drawn at random, the ROC AUC averaged over ``draws`` draws.

CREMA-D is not RAVDESS or EmoDB (the composed windows' voices); models trained on acted corpora can pass people
there by learning the actors' conventions, so these figures are a scale, not a bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from streammsa.datasets.corpus_labels import CremadClip, vote_valence
from streammsa.training.evaluation.scoring import roc_auc

CONDITIONS = ("voice", "face", "multimodal")
POSITIVE = ("happiness",)
NEGATIVE = ("anger", "disgust", "fear", "sadness")


@dataclass(frozen=True)
class PeopleScore:
    clips: int
    positive: int
    crowd: float  # ROC AUC of the crowd's expected intensity
    one_person: float  # mean ROC AUC of one random vote per clip
    one_person_range: tuple[float, float]
    raters: float  # mean votes per clip


def polar_clips(clips: Sequence[CremadClip]) -> list[CremadClip]:
    return [c for c in clips if c.info["emotion"] in POSITIVE + NEGATIVE]


def people_score(clips: Sequence[CremadClip], condition: str, draws: int = 20, seed: int = 0) -> PeopleScore:
    """ROC AUC of people's reading of the acted polarity in one condition (``CONDITIONS``)."""
    clips = polar_clips(clips)
    positive = np.array([c.info["emotion"] in POSITIVE for c in clips])
    votes = [getattr(c, condition) for c in clips]
    crowd = np.array([v.valence for v in votes])
    rng = np.random.default_rng(seed)
    ballots = [np.repeat(list(v.counts), list(v.counts.values())) for v in votes]  # one letter per person
    one = [
        roc_auc(np.array([vote_valence({str(b[rng.integers(len(b))]): 1}) for b in ballots]), positive)
        for _ in range(draws)
    ]
    return PeopleScore(
        clips=len(clips),
        positive=int(positive.sum()),
        crowd=float(roc_auc(crowd, positive)),
        one_person=float(np.mean(one)),
        one_person_range=(float(np.min(one)), float(np.max(one))),
        raters=float(np.mean([v.n for v in votes])),
    )
