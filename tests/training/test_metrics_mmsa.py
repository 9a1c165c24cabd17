"""The MMSA metrics match metricsTop.py on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from streammsa.training import metrics


def test_rounding_is_half_to_even_like_numpy():
    # 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2, -0.5 -> -0: a naive round-half-up would differ on every one.
    pred = np.array([0.5, 1.5, 2.5, -2.5, -0.5])
    true = np.array([0.0, 2.0, 2.0, -2.0, 0.0])
    assert metrics.multiclass_acc(pred, true) == 1.0
    assert metrics.multiclass_acc(pred, np.array([1.0, 1.0, 3.0, -3.0, -1.0])) == 0.0


def test_acc7_and_acc5_clip_before_rounding():
    pred = np.array([3.7, -5.0, 2.6, 0.2])
    true = np.array([3.0, -3.0, 2.4, 0.0])
    out = metrics.mosi_metrics(pred, true)
    # Acc7: 3.7->3 == 3; -5->-3 == -3; 2.6->3 vs 2.4->2 wrong; 0.2->0 == 0  => 3/4
    assert out["Mult_acc_7"] == pytest.approx(0.75)
    # Acc5 (clip 2): 2 == 2; -2 == -2; 2 == 2; 0 == 0 => 4/4
    assert out["Mult_acc_5"] == pytest.approx(1.0)
    # MAE on unclipped values: (0.7 + 2.0 + 0.2 + 0.2) / 4
    assert out["MAE"] == pytest.approx(3.1 / 4)


def test_non0_drops_zero_labels_and_has0_keeps_them():
    pred = np.array([0.5, -0.2, 0.3, -1.0, 0.0])
    true = np.array([1.0, 0.0, -1.0, -2.0, 0.0])
    out = metrics.mosi_metrics(pred, true)
    # Has0: truth >= 0 -> [T, T, F, F, T]; preds >= 0 -> [T, F, T, F, T]  => 3/5 correct
    assert out["Has0_acc_2"] == pytest.approx(3 / 5)
    # Non0 keeps labels 1, -1, -2: truth > 0 -> [T, F, F]; preds > 0 -> [T, T, F] => 2/3
    assert out["Non0_acc_2"] == pytest.approx(2 / 3)


def test_weighted_f1_by_hand():
    # Non0 subset: truth [T, F, F], preds [T, T, F]
    # class True: tp=1 fp=1 fn=0 -> P=.5 R=1 F1=2/3, support 1
    # class False: tp=1 fp=0 fn=1 -> P=1 R=.5 F1=2/3, support 2  => weighted 2/3
    pred = np.array([0.5, 0.3, -1.0])
    true = np.array([1.0, -1.0, -2.0])
    assert metrics.mosi_metrics(pred, true)["Non0_F1_score"] == pytest.approx(2 / 3)
    # Unbalanced: truth [T, T, T, F], preds [T, T, F, F]
    # True: P=1 R=2/3 F1=0.8 (support 3); False: P=.5 R=1 F1=2/3 (support 1) => (2.4 + 2/3) / 4
    out = metrics.mosi_metrics([1.0, 2.0, -1.0, -1.0], [1.0, 1.0, 1.0, -1.0])
    assert out["Non0_F1_score"] == pytest.approx((2.4 + 2 / 3) / 4)


def test_all_zero_labels_leave_non0_undefined():
    out = metrics.mosi_metrics([0.1, -0.1], [0.0, 0.0])
    assert math.isnan(out["Non0_acc_2"]) and math.isnan(out["Non0_F1_score"])
    assert out["Has0_acc_2"] == pytest.approx(0.5)


def test_corr_is_pearson():
    pred = np.array([1.0, 2.0, 3.0, 5.0])
    true = np.array([2.0, 1.0, 4.0, 3.0])
    assert metrics.mosi_metrics(pred, true)["Corr"] == pytest.approx(np.corrcoef(pred, true)[0, 1])
    assert metrics.mosi_metrics(pred, 2 * pred + 1)["Corr"] == pytest.approx(1.0)


def test_sims_bins_are_right_closed_and_values_clipped():
    edges3 = metrics.SIMS_BINS["Mult_acc_3"]
    got = metrics.sims_bin(np.array([-1.0, -0.1, -0.09, 0.1, 0.11, 1.0]), edges3)
    assert got.tolist() == [0, 0, 1, 1, 2, 2]
    edges5 = metrics.SIMS_BINS["Mult_acc_5"]
    got5 = metrics.sims_bin(np.array([-0.7, -0.69, -0.1, 0.1, 0.7, 0.71]), edges5)
    assert got5.tolist() == [0, 1, 1, 2, 3, 4]
    # 0.0 is the negative class for Acc2: [-1, 0], (0, 1]
    assert metrics.sims_bin(np.array([0.0, 1e-6]), metrics.SIMS_BINS["Mult_acc_2"]).tolist() == [0, 1]

    out = metrics.sims_metrics([2.0, -0.05, 0.5, -0.8], [1.0, 0.05, 0.8, -0.6])
    # clip: pred [1, -0.05, 0.5, -0.8]; Acc2: [1 v 1, 0 v 1, 1 v 1, 0 v 0] => 3/4
    assert out["Mult_acc_2"] == pytest.approx(0.75)
    # Acc3: [2 v 2, 1 v 1, 2 v 2, 0 v 0] => 1
    assert out["Mult_acc_3"] == pytest.approx(1.0)
    # Acc5: pred [4, 2, 3, 0] truth [4, 2, 4, 1] => 2/4
    assert out["Mult_acc_5"] == pytest.approx(0.5)
    # MAE after clipping: (0 + .1 + .3 + .2) / 4
    assert out["MAE"] == pytest.approx(0.6 / 4)


def test_classification_accuracy_from_logits_or_ids():
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert metrics.classification_accuracy(logits, [1, 0, 0]) == pytest.approx(2 / 3)
    assert metrics.classification_accuracy([2, 2, 1], [2, 1, 1]) == pytest.approx(2 / 3)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="predictions for"):
        metrics.mosi_metrics([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="NaN"):
        metrics.mosi_metrics([float("nan")], [0.0])
    with pytest.raises(ValueError, match="unknown metric set"):
        metrics.compute([0.0], [0.0], kind="iemocap")


def test_is_better_respects_direction():
    assert metrics.is_better("MAE", 0.7, 0.8)
    assert not metrics.is_better("MAE", 0.9, 0.8)
    assert metrics.is_better("Non0_acc_2", 0.9, 0.8)
    assert metrics.is_better("Corr", 0.1, None)
    assert not metrics.is_better("Corr", float("nan"), 0.1)
