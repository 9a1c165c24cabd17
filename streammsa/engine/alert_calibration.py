"""Fit the alert thresholds from held-out windows, with the alert rules' own definition of "hot".

The thresholds are fitted on a VALIDATION split (held-out identities; the test split is only scored
afterwards) so that a single window fires each alert rule on at most ``fpr`` of the windows that
should not fire it:

* sustained negative: ``negative_raise`` = the ``fpr`` quantile of the model's readings
  (clamped to [-3, 3], as the monitor clamps them) on windows whose label is not negative
  (label > -0.5, the dataset's polarity band);
* conflict (``signal: "disagreement"``, issue #11): each window becomes the Reading the monitor would
  show (``engine/readings.build_reading``: clamped per-modality readings, their confidences, the
  disagreement d_m of ``engine/disagreement.py``), and it is hot at threshold t when the odd one out
  has d > t and its polarity opposes the others' (outside the dead zone): ``AlertEngine.update``'s
  own test. ``conflict_raise`` is the smallest t at which at most ``fpr`` of the windows with two or
  more modalities and WITHOUT a known cross-modal disagreement are hot.

The clear thresholds keep the defaults' hysteresis: for conflict the same ratio clear/raise as
AlertConfig (0.15 / 0.25: d is a [0, 1] scale, so an additive gap could fall below 0), for
negativity the same gap (0.5). A raised alert also needs several consecutive hot windows (3 / 5),
so the per-alert false-alarm rate is lower than the per-window rate fitted here.

Inputs are the model's outputs on a set of windows, one row each (``WindowOutputs``): arrays
``intensity`` (N,), ``modality`` (N, 3), ``conflict`` (N, 3) (CACR's C_m, a diagnostic),
``present`` (N, 3), ``label`` (N,), ``conflict_flag`` (N,), ``kind`` (N,) and optionally
``confidence`` (N, 3) (NaN = unknown, which the monitor counts as 1). ``scripts/calibrate_alerts.py``
computes them on the composed dataset (``training/evaluation/conflict.py``) and stores ``calibrate``'s
record in the checkpoint (``meta["alerts"]``), which ``AlertConfig.from_calibration`` reads back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from streammsa import MODALITIES
from streammsa.engine.alerts import CALIBRATED_FIELDS, CONFLICT_SIGNAL, AlertConfig, _polarity
from streammsa.engine.disagreement import odd_one_out
from streammsa.engine.readings import build_reading
from streammsa.models.io import ModelOutput
from streammsa.protocol import Reading

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
            "mean": float(v.mean()) if len(v) else None,
            "std": float(v.std()) if len(v) else None,
            "abs_p95": float(np.percentile(np.abs(v), 95)) if len(v) else None,
        }
    return res


def window_readings(out: WindowOutputs) -> list[Reading]:
    """Each window as the Reading the monitor builds from the model's output (``build_reading``)."""
    n = len(out["intensity"])
    conf = out.get("confidence")
    model_out = ModelOutput(
        intensity=torch.as_tensor(np.asarray(out["intensity"], dtype=np.float32)),
        modality_intensity=torch.as_tensor(np.asarray(out["modality"], dtype=np.float32)),
        conflict=torch.as_tensor(np.asarray(out["conflict"], dtype=np.float32)),
        weight=torch.ones(n, 3),  # w_m is a diagnostic the conflict signal does not read
        present=torch.as_tensor(np.asarray(out["present"], dtype=bool)),
    )
    readings = []
    for i in range(n):
        c = None
        if conf is not None:
            c = {m: (None if math.isnan(v) else float(v)) for m, v in zip(MODALITIES, conf[i])}
        readings.append(
            build_reading(
                model_out,
                i,
                stream="cal",
                seq=i,
                t_start=0.0,
                t_end=4.0,
                transcript="",
                latency_ms=0.0,
                model="",
                trained=True,
                confidence=c,
            )
        )
    return readings


@dataclass(frozen=True)
class ConflictSignal:
    """Per window, what the conflict rule reads: the odd one out's d, whether its polarity opposes the others'."""

    score: np.ndarray  # (N,) d of the odd one out (max d_m); 0 with fewer than two modalities
    opposed: np.ndarray  # (N,) bool
    name: list[str]  # the odd one out ("text", or "text+audio" with two present; "" when none)
    disagreement: np.ndarray  # (N, 3) d_m, NaN where absent or alone

    def hot(self, threshold: float) -> np.ndarray:
        return self.opposed & (self.score > threshold)


def conflict_signal(out: WindowOutputs, dead_zone: float) -> ConflictSignal:
    """The monitor's conflict signal on each window (``AlertEngine.update``'s test, threshold left open)."""
    readings = window_readings(out)
    n = len(readings)
    score, opposed, names = np.zeros(n), np.zeros(n, dtype=bool), []
    d = np.full((n, 3), np.nan)
    for i, r in enumerate(readings):
        for j, m in enumerate(MODALITIES):
            v = r.modalities[m].disagreement
            d[i, j] = np.nan if v is None else v
        odd = odd_one_out(r.modalities)
        names.append(odd.name if odd else "")
        if odd is None:
            continue
        score[i] = odd.score
        # AlertEngine.update's own polarity test (its helper, so the two cannot drift apart)
        a, b = _polarity(odd.intensity, dead_zone), _polarity(odd.others_intensity, dead_zone)
        opposed[i] = a != 0 and b != 0 and a != b
    return ConflictSignal(score, opposed, names, d)


def _multi(out: WindowOutputs) -> np.ndarray:
    return np.asarray(out["present"]).sum(axis=1) >= 2


def fit_conflict(out: WindowOutputs, fpr: float, dead_zone: float, signal: ConflictSignal | None = None) -> float:
    """The smallest conflict threshold whose hot rate on windows without a known conflict is at most ``fpr``."""
    sig = signal or conflict_signal(out, dead_zone)
    neg = _multi(out) & ~np.asarray(out["conflict_flag"], dtype=bool)
    # hot needs opposed polarity AND d > t: only opposed windows can fire; at most k of n may
    s = np.sort(np.where(sig.opposed[neg], sig.score[neg], -np.inf))[::-1]
    k = int(math.floor(fpr * len(s) + 1e-9))
    if k >= len(s) or not np.isfinite(s[k]):
        return 0.0  # fewer opposed windows than allowed: any d fires
    # rounded up to 4 places: rounding down could let the k+1-th window fire
    return math.ceil(float(s[k]) * 1e4) / 1e4


def rates(out: WindowOutputs, cfg: AlertConfig, signal: ConflictSignal | None = None) -> dict:
    """Per-window false- and true-positive rates of both alert rules under ``cfg``."""
    sig = signal or conflict_signal(out, cfg.polarity_dead_zone)
    clamped = np.clip(out["intensity"], -3.0, 3.0)
    multi = _multi(out)
    hot_c = sig.hot(cfg.conflict_raise)
    flag = np.asarray(out["conflict_flag"], dtype=bool)
    nonneg, neg = out["label"] > NEGATIVE_BAND, out["label"] <= NEGATIVE_BAND
    return {
        "conflict_window_fpr": float(hot_c[multi & ~flag].mean()),
        "conflict_window_tpr": float(hot_c[multi & flag].mean()),
        "negative_window_fpr": float((clamped[nonneg] < cfg.negative_raise).mean()),
        "negative_window_tpr": float((clamped[neg] < cfg.negative_raise).mean()),
    }


def fit_thresholds(
    valid: WindowOutputs, fpr: float, base: AlertConfig | None = None, signal: ConflictSignal | None = None
) -> AlertConfig:
    """Raise thresholds fitted for a per-window false-positive rate ``fpr``; clear thresholds keep the hysteresis."""
    base = base or AlertConfig()
    conflict_raise = fit_conflict(valid, fpr, base.polarity_dead_zone, signal)
    clamped = np.clip(valid["intensity"], -3.0, 3.0)
    negative_raise = float(np.quantile(clamped[valid["label"] > NEGATIVE_BAND], fpr))
    ratio = base.conflict_clear / base.conflict_raise
    return AlertConfig(
        conflict_raise=round(conflict_raise, 4),
        # at raise 0 (any opposed window fires) clear below 0: only agreeing polarities or absence clear
        conflict_clear=round(conflict_raise * ratio, 4) if conflict_raise > 0 else -0.01,
        negative_raise=round(negative_raise, 4),
        negative_clear=round(negative_raise + (base.negative_clear - base.negative_raise), 4),
    )


def calibrate(
    valid: WindowOutputs,
    test: WindowOutputs,
    fpr: float,
    fitted_on: str,
    command: str,
    confidence_rule: str = "",
) -> dict[str, Any]:
    """The calibration record a checkpoint stores under ``alerts``: thresholds, rates on valid/test, provenance.

    ``signal: "disagreement"`` tells ``AlertConfig.from_calibration`` that the conflict thresholds are on the
    d_m scale (older records fitted CACR's C_m and keep only their negative thresholds)."""
    base = AlertConfig()
    sig_valid = conflict_signal(valid, base.polarity_dead_zone)
    sig_test = conflict_signal(test, base.polarity_dead_zone)
    cfg = fit_thresholds(valid, fpr, base, sig_valid)
    return {
        "signal": CONFLICT_SIGNAL,
        "thresholds": {k: getattr(cfg, k) for k in CALIBRATED_FIELDS},
        "fitted_on": fitted_on,
        "target_window_fpr": fpr,
        "conflict_rule": (
            f"hot when the odd one out's disagreement d > conflict_raise and its polarity opposes the others' "
            f"(dead zone {base.polarity_dead_zone}); FPR over windows with >= 2 modalities and no known conflict"
        ),
        "confidence": confidence_rule or "as given per window (unknown = 1, the monitor's rule)",
        "valid": rates(valid, cfg, sig_valid),
        "test": rates(test, cfg, sig_test),
        "test_with_defaults": rates(test, base, sig_test),
        "neutral_readings": {"valid": neutral_readings(valid), "test": neutral_readings(test)},
        "command": command,
    }
