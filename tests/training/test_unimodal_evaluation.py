"""Unimodal held-out scoring: polarity AUROC leaves neutral items out; faces are compared with the
expression classifier's own happy probability (issue #10)."""

from __future__ import annotations

import numpy as np

from streammsa.features import vision as V
from streammsa.training.evaluation.scoring import polarity_auroc
from streammsa.training.evaluation.unimodal import FER_HAPPY, neutral_calibration


def test_polarity_auroc_ranks_positive_against_negative_items_only():
    labels = np.array([-2.0, -1.0, 0.0, 0.2, 1.0, 2.0])
    # the neutral items (0, 0.2) carry the highest scores: they must not count
    assert polarity_auroc(np.array([0.1, 0.2, 9.0, 9.0, 0.3, 0.4]), labels) == 1.0
    assert polarity_auroc(np.array([0.4, 0.3, -9.0, -9.0, 0.2, 0.1]), labels) == 0.0
    assert polarity_auroc(np.array([1.0, 2.0]), np.array([1.0, 2.0])) is None  # one class only


def test_the_happy_baseline_reads_the_classifier_happy_probability():
    assert V.FEATURE_NAMES[FER_HAPPY] == "fer_happy"


def test_neutral_calibration_reads_only_the_neutral_items():
    labels = np.array([-3.0, 0.0, 0.0, 0.3, 2.0])
    got = neutral_calibration(np.array([-2.0, 0.5, -0.5, 0.6, 9.0]), labels)
    assert got["n"] == 3 and abs(got["mean"] - 0.2) < 1e-9 and got["std"] > 0
    assert neutral_calibration(np.array([1.0]), np.array([2.0])) is None
