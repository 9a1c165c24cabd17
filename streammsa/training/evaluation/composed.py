"""Held-out composed tri-modal windows (the dataset's test split, docs/composed-dataset.md).

MMSA metrics overall and per window kind; each per-modality head against its own label; the fixed
label rule over the model's own unimodal heads (late fusion without learning); the ROC AUC of the
conflict score (max C_m over present modalities) against the known cross-modal disagreement flag of
``composition/SPLIT.csv``; constant baselines from the train labels.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.errors import InputError
from streammsa.training.dataset import load_split
from streammsa.training.evaluation.forward import composed_windows, labels_of, load_cpu, run_model
from streammsa.training.evaluation.scoring import roc_auc, scores, spearman


def eval_composed(ckpt: str, data: Path, split: str) -> dict:
    """One checkpoint on one split of a composed dataset."""
    from streammsa.datasets.fusion_rule import FusionRule

    model, meta = load_cpu(ckpt)
    problems = load_split(data, split).spec.compatible_with(meta["spec"])
    if problems:
        raise InputError(f"{data} does not match {ckpt}'s features: {problems[:2]}")
    samples, rows = composed_windows(data, split, meta["spec"])
    t0 = time.perf_counter()
    out = run_model(model, samples)
    seconds = time.perf_counter() - t0
    labels = labels_of(samples)
    kinds = np.asarray([rows[s.id]["kind"] for s in samples])
    flag = np.asarray([rows[s.id]["conflict"] == "1" for s in samples])
    magnitude = np.asarray([float(rows[s.id]["conflict_magnitude"]) for s in samples])
    mod_labels = np.stack([s.modality_labels for s in samples]).astype(np.float64)
    present = out["present"].astype(bool)

    res: dict = {
        "checkpoint": ckpt,
        "model": meta["model_name"],
        "data": str(data),
        "split": split,
        "forward_seconds": round(seconds, 2),
        "overall": scores(out["intensity"], labels),
        "by_kind": {},
    }
    for k in sorted(set(kinds)):
        sel = kinds == k
        res["by_kind"][k] = scores(out["intensity"][sel], labels[sel])
    res["modality_heads"] = {}
    for i, m in enumerate(MODALITIES):
        sel = present[:, i] & ~np.isnan(mod_labels[:, i])
        res["modality_heads"][m] = scores(out["modality"][sel, i], mod_labels[sel, i])
    # Late fusion without learning: the fixed label rule (CH-SIMS v2 fit) over this model's own unimodal heads.
    rule = FusionRule.load()
    heads = np.clip(out["modality"], -3, 3)
    late = np.asarray(
        [rule.combine(*[float(heads[i, j]) if present[i, j] else None for j in range(3)]) for i in range(len(samples))]
    )
    res["late_fusion_rule_over_heads"] = scores(late, labels)
    res["conflict"] = _conflict(out, present, flag, magnitude)
    return res


def _conflict(out: dict, present: np.ndarray, flag: np.ndarray, magnitude: np.ndarray) -> dict:
    """Only windows with two or more present modalities can disagree."""
    multi = present.sum(axis=1) >= 2
    c_score = np.where(present, out["conflict"], -np.inf).max(axis=1)
    heads = np.where(present, out["modality"], np.nan)
    head_spread = np.nanmax(heads, axis=1) - np.nanmin(heads, axis=1)
    return {
        "windows": int(multi.sum()),
        "positives": int(flag[multi].sum()),
        "roc_auc_conflict_score": roc_auc(c_score[multi], flag[multi]),
        "roc_auc_head_spread": roc_auc(head_spread[multi], flag[multi]),
        "spearman_score_vs_magnitude": spearman(c_score[multi], magnitude[multi]),
        "conflict_score_mean": {
            "conflict": float(c_score[multi & flag].mean()),
            "no_conflict": float(c_score[multi & ~flag].mean()),
        },
    }


def majority_baseline(data: Path, split: str) -> dict:
    """Constant predictors fitted on the train labels: the median (best constant for MAE) and the majority sign."""
    train = load_split(data, "train").labels.astype(np.float64)
    test = load_split(data, split).labels.astype(np.float64)
    median = float(np.median(train))
    sign = 1.0 if (train[train != 0] > 0).mean() >= 0.5 else -1.0
    out = {
        "train_median": median,
        "median_constant": scores(np.full_like(test, median), test),
        "majority_sign": sign,
        "majority_sign_constant": scores(np.full_like(test, sign * 1e-3), test),
    }
    for k in ("median_constant", "majority_sign_constant"):
        out[k]["Corr"] = None  # undefined for a constant predictor
    return out
