"""The cross-corpus voice evaluation (training/evaluation/cross_corpus_voice.py): a window read without its voice
keeps everything else; the change of ROC AUC comes with a paired interval that holds the measured change."""

from __future__ import annotations

import numpy as np

from streammsa.training.dataset import Sample
from streammsa.training.evaluation.cross_corpus_voice import paired_change, without_voice


def test_a_window_without_its_voice_keeps_its_words_and_face():
    s = Sample("w", {"text": np.ones((5, 3)), "audio": np.ones((40, 2)), "vision": np.ones((10, 4))}, 1.5)
    (out,) = without_voice([s])
    assert out.features["audio"].shape == (0, 2) and out.label == 1.5 and out.id == "w"
    assert out.features["text"] is s.features["text"] and out.features["vision"] is s.features["vision"]


def test_the_change_of_roc_auc_comes_with_a_paired_interval():
    rng = np.random.default_rng(0)
    labels = rng.choice([-2.0, 2.0, 0.0], size=400)
    base = labels + rng.normal(scale=2.0, size=400)
    same = paired_change(base, base, labels)
    assert same["change"] == 0.0 and same["ci95"] == [0.0, 0.0]
    better = paired_change(base, base + labels, labels)  # more of the label in the score
    assert better["change"] > 0.0 and 0.0 < better["ci95"][0] <= better["change"] <= better["ci95"][1]
    worse = paired_change(base, base + rng.normal(scale=4.0, size=400), labels)  # noise added
    assert worse["change"] < 0.0 and worse["ci95"][0] < worse["change"]
