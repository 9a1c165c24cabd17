"""Fitting the face reader (training/face_reader.py): polarity probabilities read out as the expected valence."""

from __future__ import annotations

import numpy as np

from streammsa.training.face_reader import Faces, choose_strength, fit, polarity


def faces(n: int, seed: int) -> Faces:
    """Expression vectors whose "happy" and "angry" log-probabilities follow the label, as the classifier's do."""
    rng = np.random.default_rng(seed)
    label = rng.choice([-2.0, 0.0, 2.0], size=n, p=[0.2, 0.5, 0.3])
    x = rng.normal(size=(n, 7))
    x[:, 3] += 1.5 * label  # happy
    x[:, 0] -= 1.0 * label  # angry
    return Faces(x=x, happy=np.exp(x[:, 3]), label=label, weight=np.ones(n), emotion=np.asarray([""] * n, object))


def test_each_polarity_reads_its_own_valence_and_a_clear_face_reads_near_it():
    train = faces(600, 0)
    reader = fit(train, 1.0)
    assert reader.meta["valence"] == [-2.0, 0.0, 2.0]  # the mean label of each polarity's training faces
    held = faces(300, 1)
    r = reader.read_pooled(held.x)
    for k, valence in enumerate(reader.meta["valence"]):
        assert abs(np.median(r[polarity(held.label) == k]) - valence) < 0.5
    assert np.all((r >= -2.0) & (r <= 2.0))  # an expected valence stays between the polarities' valences


def test_the_regularisation_is_the_one_with_the_lowest_validation_mae():
    chosen, maes = choose_strength(faces(400, 2), faces(200, 3), strengths=(0.001, 1.0))
    assert chosen == min(maes, key=maes.__getitem__) and set(maes) == {0.001, 1.0}
