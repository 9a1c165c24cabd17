"""Alert calibration on the product's conflict signal: the fitted threshold is the alert engine's own rule,
hits the stated false-alarm rate on the windows it was fitted on, and is applied from the checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.engine import overall_reading
from streammsa.engine.alert_calibration import (
    calibrate,
    conflict_signal,
    fit_conflict,
    fit_polarity,
    fit_thresholds,
    rates,
    window_readings,
)
from streammsa.engine.alerts import CONFLICT_SIGNAL, AlertConfig, AlertEngine
from streammsa.engine.polarity_calibration import DEFAULT, of_checkpoint


def windows(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """Windows where a known conflict puts one modality on the other side of zero (plus noise)."""
    rng = np.random.default_rng(seed)
    flag = rng.random(n) < 0.35
    base = rng.choice([-1.5, 0.0, 1.5], size=n)
    modality = base[:, None] + rng.normal(0, 0.6, size=(n, 3))
    odd = rng.integers(0, 3, size=n)
    sign = np.where(base == 0, 1.0, np.sign(base))
    modality[flag, odd[flag]] = -sign[flag] * rng.uniform(1.0, 2.5, size=flag.sum())
    labels = np.repeat(base[:, None], 3, axis=1)
    labels[flag, odd[flag]] = -sign[flag] * 2.0
    present = np.ones((n, 3), dtype=bool)
    present[rng.random(n) < 0.2, 2] = False  # some windows without a face
    present[rng.random(n) < 0.05, 1:] = False  # a few with the words alone
    confidence = np.where(present, rng.uniform(0.3, 1.0, size=(n, 3)), np.nan)
    return {
        "intensity": modality.mean(axis=1),
        "modality": modality,
        "conflict": rng.uniform(0.8, 1.3, size=(n, 3)),
        "present": present,
        "label": base,
        "conflict_flag": flag & (present.sum(axis=1) >= 2),
        "kind": np.where(flag, "conflict", "agree"),
        "confidence": confidence,
        "modality_labels": np.where(present, labels, np.nan),
    }


def test_the_hot_test_is_the_alert_engines_own_rule():
    out = windows(150)
    sig = conflict_signal(out)
    for threshold in (0.3, 0.6):
        assert 0 < sig.hot(threshold).sum() < len(out["label"])  # both outcomes occur
        cfg = AlertConfig(conflict_raise=threshold, conflict_clear=threshold / 2, conflict_windows=1, cooldown_s=0.0)
        for i, r in enumerate(window_readings(out)):
            raised = [e for e in AlertEngine(cfg).update(r) if e.kind == "conflict" and e.state == "raised"]
            assert bool(raised) == bool(sig.hot(threshold)[i]), i
            if raised:
                assert raised[0].modality == sig.name[i]


def test_confidence_scales_the_signal_as_the_monitor_does():
    out = windows(60)
    full = conflict_signal({**out, "confidence": np.where(out["present"], 1.0, np.nan)})
    unknown = conflict_signal({k: v for k, v in out.items() if k != "confidence"})
    np.testing.assert_allclose(full.score, unknown.score)  # unknown confidence counts as 1
    half = conflict_signal({**out, "confidence": np.where(out["present"], 0.5, np.nan)})
    none = conflict_signal({**out, "confidence": np.where(out["present"], 0.0, np.nan)})
    assert (half.score <= full.score + 1e-9).all() and half.score.sum() < 0.6 * full.score.sum()
    np.testing.assert_allclose(none.score, 0.0, atol=1e-12)  # no evidence anywhere: no disagreement


@pytest.mark.parametrize("fpr", [0.02, 0.05, 0.1])
def test_the_fitted_threshold_is_the_smallest_with_at_most_the_stated_false_alarm_rate(fpr):
    out = windows()
    sig = conflict_signal(out)
    t = fit_conflict(out, fpr, sig)
    neg = (out["present"].sum(axis=1) >= 2) & ~out["conflict_flag"]
    assert sig.hot(t)[neg].mean() <= fpr
    if t > 0:  # (0: fewer windows can fire at all than the rate allows)
        assert sig.hot(t - 1e-4)[neg].mean() > fpr  # any lower threshold would fire too often
    # the same rate through rates(), on the AlertConfig the calibration builds
    cfg = fit_thresholds(out, fpr, sig)
    assert cfg.conflict_raise == t and cfg.conflict_clear < t
    assert rates(out, cfg, sig)["conflict_window_fpr"] <= fpr


def test_the_calibration_record_carries_the_polarity_calibration_and_the_monitor_applies_both():
    valid, test = windows(400, seed=1), windows(400, seed=2)
    rec = calibrate(valid, test, 0.05, fitted_on="synthetic valid split", command="test")
    th = rec["thresholds"]
    assert rec["signal"] == CONFLICT_SIGNAL and 0.0 < th["conflict_raise"] <= 1.0
    assert th["conflict_clear"] == pytest.approx(th["conflict_raise"] * 0.4 / 0.6, abs=1e-4)
    assert rec["valid"]["conflict_window_fpr"] <= 0.05
    assert rec["test"]["conflict_window_tpr"] > rec["test"]["conflict_window_fpr"]
    cfg = AlertConfig.from_calibration(rec)
    assert (cfg.conflict_raise, cfg.conflict_clear) == (th["conflict_raise"], th["conflict_clear"])
    polarity = of_checkpoint({"alerts": rec})
    assert polarity.fitted_on == "synthetic valid split" and polarity.probabilities("text", 2.0)[2] > 0.8
    # a record fitted on another signal (C_m, or the distance rule before session 8) keeps only its negative ones
    for signal in (None, "disagreement"):
        old = {"signal": signal, "thresholds": {**th, "conflict_raise": 0.3, "conflict_clear": 0.2}}
        cfg = AlertConfig.from_calibration(old)
        assert cfg.conflict_raise == AlertConfig().conflict_raise and cfg.negative_raise == th["negative_raise"]
        assert of_checkpoint({"alerts": old}) is DEFAULT


def test_when_every_window_is_a_known_conflict_any_disagreement_fires():
    out = windows(100)
    out["conflict_flag"] = out["present"].sum(axis=1) >= 2  # every multi-modal window is a known conflict
    assert fit_conflict(out, 0.05, conflict_signal(out)) == 0.0


def test_the_record_carries_the_overall_reading_fit_and_the_negative_alert_reads_that_reading():
    # labels follow the words more than the model's reading: the fit must weigh the words in
    valid, test = windows(400, seed=3), windows(400, seed=4)
    for out in (valid, test):
        out["intensity"] = np.zeros(len(out["label"]))  # a model that reads every window as neutral
    rec = calibrate(valid, test, 0.05, fitted_on="synthetic valid split", command="test")
    overall = overall_reading.of_checkpoint({"alerts": rec})
    assert overall.fitted_on == "synthetic valid split" and overall.weights["text"] > 0.1
    assert rec["overall"]["test"]["overall"]["MAE"] < rec["overall"]["test"]["model"]["MAE"]
    # the negative threshold is on the overall reading (a model reading 0 everywhere would give a threshold of 0)
    assert rec["thresholds"]["negative_raise"] < -0.5
    assert rec["valid"]["negative_window_fpr"] == pytest.approx(0.05, abs=0.01)  # a quantile of the valid windows


def test_the_words_head_beside_their_reader_is_fitted_and_read_as_the_monitor_passes_it():
    def with_sources(out, seed):
        rng = np.random.default_rng(seed)
        reader = np.full(out["modality"].shape, np.nan)
        reader[:, 0] = out["modality"][:, 0]  # the words' reading shown is their reader's
        head = np.where(out["present"], out["modality_labels"] + rng.normal(0, 0.6, size=reader.shape), np.nan)
        return {**out, "sources": {"reader": reader, "head": head}}  # the head: another view

    valid, test = with_sources(windows(400, seed=1), 3), with_sources(windows(400, seed=2), 4)
    polarity = fit_polarity(valid, "synthetic")
    assert polarity.modalities["text"].inputs == ("reader", "head") and polarity.modalities["vision"].inputs == (
        "reading",
    )
    as_read = conflict_signal(test, polarity).score
    flipped = {**test["sources"], "head": -test["sources"]["head"]}
    assert not np.allclose(as_read, conflict_signal({**test, "sources": flipped}, polarity).score)  # heads are read
    flag = np.asarray(test["conflict_flag"])
    assert as_read[flag].mean() > as_read[~flag].mean()
