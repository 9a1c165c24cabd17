"""Fit the alert thresholds from held-out windows, with the alert rule's own definition of "hot".

The thresholds are fitted on a VALIDATION split (held-out identities; the test split is only scored
afterwards) so that a single window fires each alert rule on at most ``fpr`` of the windows that
should not fire it:

* sustained negative: ``negative_raise`` = the ``fpr`` quantile of the model's readings
  (clamped to [-3, 3], as the monitor clamps them) on windows whose label is not negative
  (label > -0.5, the dataset's polarity band);
* conflict: the smallest ``conflict_raise`` at which at most ``fpr`` of the windows WITHOUT a
  known cross-modal disagreement would be "hot" under the monitor's own rule (some present
  modality with C_m > threshold whose unimodal polarity opposes the others',
  ``polarity_disagreement`` with the configured dead zone).

The clear thresholds keep the default hysteresis gaps of AlertConfig (0.2 for conflict, 0.5 for
negativity): the gap only stops flicker and is not a quantity the data can set. A raised alert
also needs several consecutive hot windows (3 / 5), so the per-alert false-alarm rate is lower
than the per-window rate fitted here.

Inputs are the model's outputs on a set of windows, one row each (``WindowOutputs``): arrays
``intensity`` (N,), ``modality`` (N, 3), ``conflict`` (N, 3), ``present`` (N, 3), ``label`` (N,),
``conflict_flag`` (N,) and ``kind`` (N,). ``scripts/calibrate_alerts.py`` computes them on the
composed dataset and stores ``calibrate``'s record in the checkpoint (``meta["alerts"]``), which
``AlertConfig.from_calibration`` reads back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from streammsa import MODALITIES
from streammsa.engine.alerts import CALIBRATED_FIELDS, AlertConfig, polarity_disagreement
from streammsa.protocol import ModalityReading, Reading

NEGATIVE_BAND = -0.5
"""Labels at or below this are negative windows (the composed dataset's polarity band)."""

WindowOutputs = dict[str, np.ndarray]


def neutral_readings(out: WindowOutputs) -> dict:
    """Mean and spread of the (clamped) readings on neutral input: |label| < 0.5, and the real GRID windows."""
    clamped = np.clip(out["intensity"], -3.0, 3.0)
    res = {}
    subsets = (
        ("neutral_label_windows", np.abs(out["label"]) < -NEGATIVE_BAND),
        ("grid_real_windows", out["kind"] == "grid_real"),
    )
    for name, sel in subsets:
        v = clamped[sel]
        res[name] = {
            "n": int(sel.sum()),
            "mean": float(v.mean()),
            "std": float(v.std()),
            "abs_p95": float(np.percentile(np.abs(v), 95)),
        }
    return res


def _reading(out: WindowOutputs, i: int, heads: np.ndarray) -> Reading:
    present = out["present"][i]
    mods = {
        m: ModalityReading(
            present=bool(present[j]),
            intensity=float(heads[i, j]) if present[j] else None,
            conflict=float(out["conflict"][i, j]) if present[j] else None,
            weight=None,
        )
        for j, m in enumerate(MODALITIES)
    }
    return Reading(
        stream="cal",
        seq=i,
        t_start=0.0,
        t_end=4.0,
        intensity=float(np.clip(out["intensity"][i], -3, 3)),
        modalities=mods,
        transcript="",
        alerts=[],
        latency_ms=0.0,
        model="",
        trained=True,
    )


def hot_conflict(out: WindowOutputs, threshold: float, dead_zone: float) -> np.ndarray:
    """Per window: would the monitor's conflict rule be hot for some modality at this threshold?"""
    n = len(out["intensity"])
    hot = np.zeros(n, dtype=bool)
    heads = np.clip(out["modality"], -3.0, 3.0)
    for i in range(n):
        present = out["present"][i]
        if present.sum() < 2:
            continue
        r = _reading(out, i, heads)
        for j, m in enumerate(MODALITIES):
            if present[j] and out["conflict"][i, j] > threshold and polarity_disagreement(r, m, dead_zone)[0]:
                hot[i] = True
                break
    return hot


def fit_conflict(out: WindowOutputs, fpr: float, dead_zone: float) -> float:
    """The smallest conflict threshold whose hot rate on windows without a known conflict is at most ``fpr``."""
    multi = out["present"].sum(axis=1) >= 2
    neg = multi & ~out["conflict_flag"]
    # candidate thresholds: the observed scores of non-conflict windows; FPR falls as the threshold rises
    cands = np.unique(np.round(np.where(out["present"][neg], out["conflict"][neg], 0.0).ravel(), 4))
    lo, hi = 0, len(cands) - 1
    best = float(cands[-1])
    negatives = {k: v[neg] for k, v in out.items() if k != "kind"}
    while lo <= hi:  # binary search for the smallest threshold meeting the rate
        mid = (lo + hi) // 2
        rate = hot_conflict(negatives, float(cands[mid]), dead_zone).mean()
        if rate <= fpr:
            best, hi = float(cands[mid]), mid - 1
        else:
            lo = mid + 1
    return best


def rates(out: WindowOutputs, cfg: AlertConfig) -> dict:
    """Per-window false- and true-positive rates of both alert rules under ``cfg``."""
    out = {k: v for k, v in out.items() if k != "kind"}
    clamped = np.clip(out["intensity"], -3.0, 3.0)
    multi = out["present"].sum(axis=1) >= 2
    hot_c = hot_conflict(out, cfg.conflict_raise, cfg.polarity_dead_zone)
    flag = out["conflict_flag"]
    nonneg, neg = out["label"] > NEGATIVE_BAND, out["label"] <= NEGATIVE_BAND
    return {
        "conflict_window_fpr": float(hot_c[multi & ~flag].mean()),
        "conflict_window_tpr": float(hot_c[multi & flag].mean()),
        "negative_window_fpr": float((clamped[nonneg] < cfg.negative_raise).mean()),
        "negative_window_tpr": float((clamped[neg] < cfg.negative_raise).mean()),
    }


def fit_thresholds(valid: WindowOutputs, fpr: float, base: AlertConfig | None = None) -> AlertConfig:
    """Raise thresholds fitted for a per-window false-positive rate ``fpr``; clear = raise -/+ the default gap."""
    base = base or AlertConfig()
    conflict_raise = fit_conflict(valid, fpr, base.polarity_dead_zone)
    clamped = np.clip(valid["intensity"], -3.0, 3.0)
    negative_raise = float(np.quantile(clamped[valid["label"] > NEGATIVE_BAND], fpr))
    return AlertConfig(
        conflict_raise=round(conflict_raise, 4),
        # below 0: clears when polarities agree
        conflict_clear=round(conflict_raise - (base.conflict_raise - base.conflict_clear), 4),
        negative_raise=round(negative_raise, 4),
        negative_clear=round(negative_raise + (base.negative_clear - base.negative_raise), 4),
    )


def calibrate(valid: WindowOutputs, test: WindowOutputs, fpr: float, fitted_on: str, command: str) -> dict[str, Any]:
    """The calibration record a checkpoint stores under ``alerts``: thresholds, rates on valid/test, provenance."""
    base = AlertConfig()
    cfg = fit_thresholds(valid, fpr, base)
    return {
        "thresholds": {k: getattr(cfg, k) for k in CALIBRATED_FIELDS},
        "fitted_on": fitted_on,
        "target_window_fpr": fpr,
        "valid": rates(valid, cfg),
        "test": rates(test, cfg),
        "test_with_defaults": rates(test, base),
        "neutral_readings": {"valid": neutral_readings(valid), "test": neutral_readings(test)},
        "command": command,
    }
