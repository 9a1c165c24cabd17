"""FusionRule.combine: renormalised weights over present modalities, bounds, and the stored rule."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from streammsa.datasets.fusion_rule import DEFAULT_PATH, FusionRule, baseline, fit_rule, polarity_subsets, score
from streammsa.errors import InputError

LINEAR = FusionRule("linear", weights=(0.5, 0.3, 0.2), intercept=0.1, gain=1.2)


def test_absent_modality_renormalises_the_remaining_weights():
    # text absent: audio and vision keep their 0.3 : 0.2 ratio -> 0.6 / 0.4
    expected = 0.1 + 1.2 * (0.6 * 1.0 + 0.4 * -2.0)
    assert LINEAR.combine(None, 1.0, -2.0) == pytest.approx(expected)
    assert LINEAR.combine(math.nan, 1.0, -2.0) == pytest.approx(expected)
    # only one modality: its value alone, through intercept and gain
    assert LINEAR.combine(None, None, -2.0) == pytest.approx(0.1 + 1.2 * -2.0)


def test_absent_modality_is_not_read_as_neutral_evidence():
    assert LINEAR.combine(None, 2.0, 2.0) != pytest.approx(LINEAR.combine(0.0, 2.0, 2.0))


def test_mean_baseline_is_the_mean_of_present_values():
    mean = baseline("mean")
    assert mean.combine(1.0, 2.0, -3.0) == pytest.approx(0.0)
    assert mean.combine(None, 2.0, -1.0) == pytest.approx(0.5)


def test_text_baseline_needs_text():
    assert baseline("text").combine(-1.5, 3.0, 3.0) == pytest.approx(-1.5)
    with pytest.raises(InputError, match="without the text"):
        baseline("text").combine(None, 3.0, 3.0)


def test_output_stays_within_minus3_plus3_for_every_presence_pattern():
    rules = [LINEAR, FusionRule("salience", (0.2, 0.4, 0.4), -0.5, 1.8, 0.9, 0.7), FusionRule.load()]
    grid = [None, -3.0, -1.7, 0.0, 0.4, 3.0]
    for rule in rules:
        for y in itertools.product(grid, repeat=3):
            if all(v is None for v in y):
                continue
            assert -3.0 <= rule.combine(*y) <= 3.0


def test_salience_lets_the_strongest_cue_dominate():
    flat = FusionRule("salience", (1 / 3, 1 / 3, 1 / 3), salience=0.0)
    peaked = FusionRule("salience", (1 / 3, 1 / 3, 1 / 3), salience=1.0)
    # one strong negative cue against two weak positive ones
    assert peaked.combine(0.5, 0.5, -3.0) < flat.combine(0.5, 0.5, -3.0)
    w = peaked.effective_weights(0.5, 0.5, -3.0)
    assert w["vision"] > w["text"] == pytest.approx(w["audio"])


def test_negativity_bias_pulls_towards_negative_cues():
    neutral = FusionRule("salience", (1 / 3, 1 / 3, 1 / 3))
    biased = FusionRule("salience", (1 / 3, 1 / 3, 1 / 3), negativity=1.0)
    assert biased.combine(2.0, -2.0, None) < neutral.combine(2.0, -2.0, None) == pytest.approx(0.0)


def test_effective_weights_sum_to_one_and_zero_absent():
    w = FusionRule.load().effective_weights(1.0, None, -2.0)
    assert w["audio"] == 0.0 and sum(w.values()) == pytest.approx(1.0)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(InputError, match="at least one present modality"):
        LINEAR.combine(None, None, math.nan)
    with pytest.raises(InputError, match=r"\[-3, 3\]"):
        LINEAR.combine(4.0, 0.0, 0.0)
    with pytest.raises(InputError, match="must be a number"):
        LINEAR.combine("high", 0.0, 0.0)
    with pytest.raises(InputError, match="unknown fusion rule form"):
        FusionRule("median")
    with pytest.raises(InputError, match="summing to 1"):
        FusionRule("linear", weights=(0.5, 0.5, 0.5))


def test_stored_rule_loads_and_round_trips(tmp_path):
    rule = FusionRule.load()
    assert DEFAULT_PATH.is_file() and rule.form in ("linear", "salience")
    assert rule.meta["command"].startswith("python scripts/fit_fusion_rule.py")
    again = FusionRule.from_dict(rule.to_dict())
    assert again == rule
    with pytest.raises(InputError, match="not found"):
        FusionRule.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        FusionRule.load(bad)


def test_fit_recovers_a_known_salience_rule():
    truth = FusionRule("salience", (0.2, 0.5, 0.3), intercept=0.2, gain=1.1, salience=0.4, negativity=0.3)
    y = np.random.default_rng(1).uniform(-3, 3, size=(3000, 3))
    fitted = fit_rule("salience", y, truth.predict(y), seed=0)
    assert np.allclose(fitted.weights, truth.weights, atol=0.01)
    for name in ("intercept", "gain", "salience", "negativity"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), abs=0.02)


def test_score_and_subsets_on_a_hand_worked_example():
    y = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
    masks = polarity_subsets(y)
    assert masks["disagree"].tolist() == [False, True, True]
    assert masks["opposite"].tolist() == [False, False, True]
    s = score(np.array([1.0, -0.5, 2.0, 0.0]), np.array([2.0, -1.0, 1.0, 0.0]))
    assert s.mae == pytest.approx(0.625) and s.sign_agreement == 1.0 and s.n == 4
