"""Fit the alert thresholds from held-out windows, with the alert rules' own definition of "hot".

The thresholds are fitted on a VALIDATION split (held-out identities; the test split is only scored
afterwards) so that a single window fires each alert rule on at most ``fpr`` of the windows that
should not fire it:

* sustained negative: ``negative_raise`` = the ``fpr`` quantile of the model's readings
  (clamped to [-3, 3], as the monitor clamps them) on windows whose label is not negative
  (label > -0.5, the dataset's polarity band);
* conflict (``signal: "disagreement_probability"``, issue #11): first each modality's polarity calibration is
  fitted on the validation windows' per-modality labels (``engine/polarity_calibration.fit``), then each
  window becomes the Reading the monitor would show with it (``engine/readings.build_reading``: clamped
  per-modality readings, their confidences, the disagreement D of ``engine/disagreement.py``), and it is
  hot at threshold t when D > t: ``AlertEngine.update``'s own test. ``conflict_raise`` is the smallest t
  at which at most ``fpr`` of the windows with two or more modalities and WITHOUT a known cross-modal
  disagreement are hot.

The clear thresholds keep the defaults' hysteresis: for conflict the same ratio clear/raise as
AlertConfig (0.4 / 0.6: D is a probability, so an additive gap could fall below 0), for
negativity the same gap (0.5). A raised alert also needs several consecutive hot windows (3 / 5),
so the per-alert false-alarm rate is lower than the per-window rate fitted here.

Inputs are the model's outputs on a set of windows, one row each (``WindowOutputs``): arrays
``intensity`` (N,), ``modality`` (N, 3), ``conflict`` (N, 3) (CACR's C_m, a diagnostic),
``present`` (N, 3), ``label`` (N,), ``conflict_flag`` (N,), ``kind`` (N,), ``modality_labels`` (N, 3) (NaN
where unlabelled) and optionally ``confidence`` (N, 3) (NaN = unknown, which the monitor counts as 1) and ``sources``:
``{"reader": (N, 3), "head": (N, 3)}``, each modality's reader's and the model's head's readings (NaN where there
is none), which the polarity calibration reads.
``scripts/calibrate_alerts.py`` computes them on the composed dataset (``training/evaluation/conflict.py``)
and stores ``calibrate``'s record in the checkpoint (``meta["alerts"]``), which ``AlertConfig.from_calibration``
and ``polarity_calibration.of_checkpoint`` read back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from streammsa import INTENSITY_RANGE, MODALITIES
from streammsa.engine.alerts import CALIBRATED_FIELDS, CONFLICT_SIGNAL, AlertConfig
from streammsa.engine.disagreement import odd_one_out
from streammsa.engine.overall_reading import OverallReading, window_terms
from streammsa.engine.overall_reading import fit as fit_overall_reading
from streammsa.engine.polarity_calibration import DEFAULT, DEGREE, PolarityCalibration, fit
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


def window_readings(out: WindowOutputs, polarity: PolarityCalibration = DEFAULT) -> list[Reading]:
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
    sources = out.get("sources") or {}
    readings = []
    for i in range(n):
        c = None
        if conf is not None:
            c = {m: (None if math.isnan(v) else float(v)) for m, v in zip(MODALITIES, conf[i])}
        by_modality = {
            m: {k: float(v[i, j]) for k, v in sources.items() if not math.isnan(v[i, j])}
            for j, m in enumerate(MODALITIES)
        }
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
                polarity=polarity,
                sources=by_modality,
            )
        )
    return readings


@dataclass(frozen=True)
class ConflictSignal:
    """Per window, what the conflict rule reads: D, and who the alert would name."""

    score: np.ndarray  # (N,) D (Reading.disagreement); 0 with fewer than two modalities
    name: list[str]  # the odd one out ("text", or "text+audio" with two present; "" when none)
    disagreement: np.ndarray  # (N, 3) d_m, NaN where absent or alone

    def hot(self, threshold: float) -> np.ndarray:
        return self.score > threshold


def conflict_signal(out: WindowOutputs, polarity: PolarityCalibration = DEFAULT) -> ConflictSignal:
    """The monitor's conflict signal on each window (``AlertEngine.update``'s test, threshold left open)."""
    readings = window_readings(out, polarity)
    n = len(readings)
    score, names = np.zeros(n), []
    d = np.full((n, 3), np.nan)
    for i, r in enumerate(readings):
        for j, m in enumerate(MODALITIES):
            v = r.modalities[m].disagreement
            d[i, j] = np.nan if v is None else v
        odd = odd_one_out(r.modalities)
        names.append(odd.name if odd else "")
        score[i] = 0.0 if r.disagreement is None else r.disagreement
    return ConflictSignal(score, names, d)


def _multi(out: WindowOutputs) -> np.ndarray:
    return np.asarray(out["present"]).sum(axis=1) >= 2


def fit_conflict(out: WindowOutputs, fpr: float, signal: ConflictSignal) -> float:
    """The smallest conflict threshold whose hot rate on windows without a known conflict is at most ``fpr``."""
    neg = _multi(out) & ~np.asarray(out["conflict_flag"], dtype=bool)
    s = np.sort(signal.score[neg])[::-1]  # at most k of n may fire
    k = int(math.floor(fpr * len(s) + 1e-9))
    if k >= len(s):
        return 0.0
    # rounded up to 4 places: rounding down could let the k+1-th window fire
    return math.ceil(float(s[k]) * 1e4) / 1e4


def fit_polarity(out: WindowOutputs, fitted_on: str, degree: int = DEGREE) -> PolarityCalibration:
    """Each modality's polarity calibration from ``out``'s readings and per-modality labels."""
    readings = np.asarray(out["modality"], dtype=np.float64)
    return fit(readings, out["modality_labels"], out["present"], fitted_on, out.get("sources"), degree)


def _overall_terms(out: WindowOutputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's reading (clamped, as ``build_reading`` clamps it), the modality readings and confidences."""
    model = np.clip(np.asarray(out["intensity"], dtype=np.float64), -INTENSITY_RANGE, INTENSITY_RANGE)
    r, c = window_terms(np.asarray(out["modality"], dtype=np.float64), out["present"], out.get("confidence"))
    return model, r, c


def fit_overall(out: WindowOutputs, fitted_on: str, shown: Mapping[str, str] | None = None) -> OverallReading:
    """How the overall reading combines the model's with the modality readings (``engine/overall_reading.py``),
    fitted on ``out``'s windows and overall labels; ``shown``: what read each modality ("reader" or "head")."""
    return fit_overall_reading(*_overall_terms(out), out["label"], fitted_on, shown)


def with_overall(out: WindowOutputs, overall: OverallReading) -> WindowOutputs:
    """``out`` with ``intensity`` the overall reading the monitor shows, the model's own in ``model_intensity``."""
    model, r, c = _overall_terms(out)
    return {**out, "intensity": overall.combine_all(model, r, c), "model_intensity": model}


def reading_scores(out: WindowOutputs) -> dict:
    """MOSI-style scores of the overall reading (clamped) and of the model's own against the overall labels."""
    from streammsa.training.metrics import mosi_metrics

    keep = ("MAE", "Corr", "Non0_acc_2", "Has0_acc_2", "Mult_acc_7")
    res = {}
    for name, key in (("overall", "intensity"), ("model", "model_intensity")):
        scores = mosi_metrics(np.clip(out[key], -3.0, 3.0), out["label"])
        res[name] = {k: round(float(v), 4) for k, v in scores.items() if k in keep}
    return res


def rates(out: WindowOutputs, cfg: AlertConfig, signal: ConflictSignal) -> dict:
    """Per-window false- and true-positive rates of both alert rules under ``cfg``."""
    clamped = np.clip(out["intensity"], -3.0, 3.0)
    multi = _multi(out)
    hot_c = signal.hot(cfg.conflict_raise)
    flag = np.asarray(out["conflict_flag"], dtype=bool)
    nonneg, neg = out["label"] > NEGATIVE_BAND, out["label"] <= NEGATIVE_BAND
    return {
        "conflict_window_fpr": float(hot_c[multi & ~flag].mean()),
        "conflict_window_tpr": float(hot_c[multi & flag].mean()),
        "negative_window_fpr": float((clamped[nonneg] < cfg.negative_raise).mean()),
        "negative_window_tpr": float((clamped[neg] < cfg.negative_raise).mean()),
    }


def fit_thresholds(
    valid: WindowOutputs, fpr: float, signal: ConflictSignal, base: AlertConfig | None = None
) -> AlertConfig:
    """Raise thresholds fitted for a per-window false-positive rate ``fpr``; clear thresholds keep the hysteresis."""
    base = base or AlertConfig()
    conflict_raise = fit_conflict(valid, fpr, signal)
    clamped = np.clip(valid["intensity"], -3.0, 3.0)
    negative_raise = float(np.quantile(clamped[valid["label"] > NEGATIVE_BAND], fpr))
    ratio = base.conflict_clear / base.conflict_raise
    return AlertConfig(
        conflict_raise=round(conflict_raise, 4),
        # at raise 0 (any window fires) clear below 0: only fewer than two modalities clear
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
    shown: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The calibration record a checkpoint stores under ``alerts``: the polarity calibration, thresholds, rates on
    valid/test, provenance.

    ``signal`` tells ``AlertConfig.from_calibration`` which signal the conflict thresholds are on (records
    fitted on another signal keep only their negative thresholds); ``polarity`` is what the monitor's
    ``Reading.disagreement`` reads (``PolarityCalibration.from_record``); ``overall`` how its ``Reading.intensity``
    is made (``OverallReading.from_record``), fitted first: the negative thresholds are on that reading."""
    base = AlertConfig()
    overall = fit_overall(valid, fitted_on, shown)
    valid, test = with_overall(valid, overall), with_overall(test, overall)  # the negative alert reads it
    polarity = fit_polarity(valid, fitted_on)
    sig_valid = conflict_signal(valid, polarity)
    sig_test = conflict_signal(test, polarity)
    cfg = fit_thresholds(valid, fpr, sig_valid, base)
    return {
        "signal": CONFLICT_SIGNAL,
        "thresholds": {k: getattr(cfg, k) for k in CALIBRATED_FIELDS},
        "polarity": polarity.to_record(),
        "overall": {**overall.to_record(), "valid": reading_scores(valid), "test": reading_scores(test)},
        "fitted_on": fitted_on,
        "target_window_fpr": fpr,
        "conflict_rule": (
            "hot when the probability that two present modalities read opposite polarities (Reading.disagreement) "
            "> conflict_raise; FPR over windows with >= 2 modalities and no known conflict"
        ),
        "confidence": confidence_rule or "as given per window (unknown = 1, the monitor's rule)",
        "valid": rates(valid, cfg, sig_valid),
        "test": rates(test, cfg, sig_test),
        "test_with_defaults": rates(test, base, conflict_signal(test)),
        "neutral_readings": {"valid": neutral_readings(valid), "test": neutral_readings(test)},
        "command": command,
    }
