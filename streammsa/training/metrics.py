"""The MMSA evaluation metrics: the one place they are computed in streammsa.

Definitions follow thuiar/MMSA ``utils/metricsTop.py`` exactly, so numbers are
comparable with published MOSI / MOSEI / CH-SIMS tables:

- rounding is numpy's (halves to even: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2);
- ``Mult_acc_7`` / ``Mult_acc_5`` clip predictions and labels to [-3, 3] / [-2, 2] before rounding;
- ``Has0_*`` binarise with ``>= 0``; ``Non0_*`` drop samples whose label is exactly 0 and binarise with ``> 0``;
- F1 is sklearn's ``f1_score(average="weighted")``;
- MOSI/MOSEI MAE and Corr use the unclipped values; SIMS clips to [-1, 1] first.

MMSA rounds each result to 4 decimals when it reports; these functions return full
precision and leave rounding to the report (``format_table``), so seed averages are
not computed from rounded values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

# Right-closed bins over [-1, 1] as in MMSA (the outer edges are widened to +-1.01).
SIMS_BINS: dict[str, tuple[float, ...]] = {
    "Mult_acc_2": (-1.01, 0.0, 1.01),
    "Mult_acc_3": (-1.01, -0.1, 0.1, 1.01),
    "Mult_acc_5": (-1.01, -0.7, -0.1, 0.1, 0.7, 1.01),
}

MOSI_KEYS = ("Has0_acc_2", "Has0_F1_score", "Non0_acc_2", "Non0_F1_score", "Mult_acc_5", "Mult_acc_7", "MAE", "Corr")
SIMS_KEYS = ("Mult_acc_2", "Mult_acc_3", "Mult_acc_5", "F1_score", "MAE", "Corr")

# Metrics where lower is better (used by early stopping and model selection).
LOWER_IS_BETTER = frozenset({"MAE", "loss"})


def _as_1d(x: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _pair(y_pred, y_true) -> tuple[np.ndarray, np.ndarray]:
    pred, true = _as_1d(y_pred, "predictions"), _as_1d(y_true, "labels")
    if pred.shape != true.shape:
        raise ValueError(f"{pred.size} predictions for {true.size} labels")
    if pred.size == 0:
        raise ValueError("no samples to evaluate")
    return pred, true


def multiclass_acc(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Fraction of samples whose numpy-rounded values agree (MMSA ``__multiclass_acc``)."""
    return float(np.sum(np.round(y_pred) == np.round(y_true)) / float(len(y_true)))


def pearson(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Pearson correlation; NaN when either side is constant (as np.corrcoef gives)."""
    if y_pred.size < 2 or np.std(y_pred) == 0 or np.std(y_true) == 0:
        return float("nan")
    return float(np.corrcoef(y_pred, y_true)[0][1])


def _weighted_f1(truth: np.ndarray, preds: np.ndarray) -> float:
    return float(f1_score(truth, preds, average="weighted", zero_division=0))


def mosi_metrics(y_pred, y_true) -> dict[str, float]:
    """MOSI / MOSEI regression metrics (MMSA ``__eval_mosei_regression``); labels in [-3, 3]."""
    pred, true = _pair(y_pred, y_true)
    non0 = true != 0
    if non0.any():
        non0_truth, non0_preds = true[non0] > 0, pred[non0] > 0
        non0_acc = float(np.mean(non0_truth == non0_preds))
        non0_f1 = _weighted_f1(non0_truth, non0_preds)
    else:  # every label is neutral: the Non0 pair is undefined
        non0_acc = non0_f1 = float("nan")
    has0_truth, has0_preds = true >= 0, pred >= 0
    return {
        "Has0_acc_2": float(np.mean(has0_truth == has0_preds)),
        "Has0_F1_score": _weighted_f1(has0_truth, has0_preds),
        "Non0_acc_2": non0_acc,
        "Non0_F1_score": non0_f1,
        "Mult_acc_5": multiclass_acc(np.clip(pred, -2.0, 2.0), np.clip(true, -2.0, 2.0)),
        "Mult_acc_7": multiclass_acc(np.clip(pred, -3.0, 3.0), np.clip(true, -3.0, 3.0)),
        "MAE": float(np.mean(np.abs(pred - true))),
        "Corr": pearson(pred, true),
    }


def sims_bin(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Class index i where edges[i] < v <= edges[i+1] (MMSA's right-closed SIMS bins)."""
    return np.searchsorted(np.asarray(edges), values, side="left") - 1


def sims_metrics(y_pred, y_true) -> dict[str, float]:
    """CH-SIMS regression metrics (MMSA ``__eval_sims_regression``); labels in [-1, 1]."""
    pred, true = _pair(y_pred, y_true)
    pred, true = np.clip(pred, -1.0, 1.0), np.clip(true, -1.0, 1.0)
    out: dict[str, float] = {}
    for key, edges in SIMS_BINS.items():
        out[key] = float(np.mean(sims_bin(pred, edges) == sims_bin(true, edges)))
    out["F1_score"] = _weighted_f1(sims_bin(true, SIMS_BINS["Mult_acc_2"]), sims_bin(pred, SIMS_BINS["Mult_acc_2"]))
    out["MAE"] = float(np.mean(np.abs(pred - true)))
    out["Corr"] = pearson(pred, true)
    return out


def classification_accuracy(logits_or_labels, y_true) -> float:
    """Top-1 accuracy; accepts (N, C) scores or (N,) predicted class ids."""
    pred = np.asarray(logits_or_labels)
    if pred.ndim == 2:
        pred = pred.argmax(axis=1)
    true = np.asarray(y_true).reshape(-1)
    if pred.shape[0] != true.shape[0] or true.size == 0:
        raise ValueError(f"{pred.shape[0]} predictions for {true.size} labels")
    return float(np.mean(pred.astype(np.int64) == true.astype(np.int64)))


METRIC_SETS = {"mosi": mosi_metrics, "mosei": mosi_metrics, "sims": sims_metrics}


def compute(y_pred, y_true, kind: str = "mosi") -> dict[str, float]:
    """Dispatch by label scale: "mosi"/"mosei" for [-3, 3], "sims" for [-1, 1]."""
    try:
        fn = METRIC_SETS[kind]
    except KeyError:
        raise ValueError(f"unknown metric set {kind!r}; expected one of {sorted(METRIC_SETS)}") from None
    return fn(y_pred, y_true)


def is_better(metric: str, new: float, best: float | None) -> bool:
    """Whether ``new`` improves on ``best`` for ``metric`` (NaN never improves)."""
    if new != new:  # NaN
        return False
    if best is None or best != best:
        return True
    return new < best if metric in LOWER_IS_BETTER else new > best


def format_table(metrics: dict[str, float], digits: int = 4) -> str:
    """Two-column plain-text table, values rounded as MMSA reports them."""
    width = max((len(k) for k in metrics), default=6)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * (digits + 3)}"]
    for key, value in metrics.items():
        lines.append(f"{key:<{width}}  {value:.{digits}f}")
    return "\n".join(lines)
