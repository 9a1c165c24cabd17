"""Scores of evaluation results: MMSA metrics (``streammsa.training.metrics``), ROC AUC, rank correlation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from streammsa.training import metrics as mm


def clean(v: Any) -> Any:
    """JSON-safe copy: numpy numbers become Python numbers (rounded to 6 places), NaN/inf become None."""
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if isinstance(v, (np.floating, float)):
        return None if not math.isfinite(float(v)) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    return v


def scores(pred: np.ndarray, true: np.ndarray) -> dict:
    """MMSA metrics (mosi set) plus n; Corr is NaN (null) for a constant predictor."""
    out = mm.compute(np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64), "mosi")
    return {"n": int(len(true)), **out}


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """scikit-learn's ROC AUC; None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        return None
    return float(roc_auc_score(positive, np.asarray(score, dtype=np.float64)))


def polarity_auroc(score: np.ndarray, labels: np.ndarray, band: float = 0.5) -> float | None:
    """ROC AUC of ``score`` for positive vs negative items; items with |label| < band are left out."""
    labels = np.asarray(labels, dtype=np.float64)
    polar = np.abs(labels) >= band
    return roc_auc(np.asarray(score)[polar], labels[polar] > 0)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)
