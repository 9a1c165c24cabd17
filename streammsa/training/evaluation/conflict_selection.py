"""Choose how the conflict signal reads each modality, inside the VALIDATION windows only (issue #11).

The polarity calibration (``engine/polarity_calibration.py``) is fitted on the validation windows, so its own
figures there are in-sample. To choose between variants without the test split, the validation windows are cut
into ``FOLDS`` random folds; each variant is fitted on four and scored on the fifth, every window scored once:

* ``composed``: ROC AUC of D for the known cross-modal disagreement (windows with >= 2 modalities), pooled;
* ``naming``: how often the odd one out is named, windows with one modality opposite the other two;
* per fold, each variant's AUC minus the previous row's, with a 95 % t-interval over the folds.

The variants are the steps of session 11 in order: the session-10 signal (the words and the voice read by reader
and head, the face by its head; [x, x^2]); the face read by its reader and head too; cubic powers; and a logistic
conflict head over the calibrated polarities (``stack_features``). A step is taken only when its 95 % interval
over the folds lies above 0: the face's reader was taken, cubic powers and the learned head were not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from streammsa import INTENSITY_RANGE, MODALITIES
from streammsa.engine.alert_calibration import WindowOutputs, conflict_signal, fit_polarity
from streammsa.engine.polarity_calibration import DEGREE, PolarityCalibration
from streammsa.training.evaluation.conflict import odd_modality
from streammsa.training.evaluation.scoring import roc_auc

FOLDS = 5
PAIRS = ((0, 1), (0, 2), (1, 2))


@dataclass(frozen=True)
class Variant:
    name: str
    face_reader: bool  # the face read by its reader beside the head
    degree: int
    stacked: bool = False  # a learned head over the calibrated polarities scores the window instead of D


VARIANTS = (
    Variant("session 10: words and voice by reader + head, face by head, [x, x^2]", False, 2),
    Variant("the face by reader + head too (shipped)", True, DEGREE),
    Variant("cubic powers [x, x^2, x^3]", True, 3),
    Variant("a learned conflict head over the calibrated polarities", True, 3, stacked=True),
)


def subset(out: WindowOutputs, rows: np.ndarray) -> WindowOutputs:
    n = len(out["label"])
    sub: WindowOutputs = {}
    for k, v in out.items():
        if k == "sources":
            sub[k] = {s: a[rows] for s, a in v.items()}  # type: ignore[assignment]
        elif isinstance(v, np.ndarray) and len(v) == n:
            sub[k] = v[rows]
        else:
            sub[k] = v
    return sub


def without_face_reader(out: WindowOutputs) -> WindowOutputs:
    sources = {k: v.copy() for k, v in out["sources"].items()}  # type: ignore[attr-defined]
    sources["reader"][:, MODALITIES.index("vision")] = np.nan
    return {**out, "sources": sources}  # type: ignore[dict-item]


def stack_features(out: WindowOutputs, calibration: PolarityCalibration) -> np.ndarray:
    """Per window: each modality's c_m P_m(-, 0, +) (0 where absent), presence, each pair's opposition
    c_a c_b [P_a(+) P_b(-) + P_a(-) P_b(+)], and D."""
    present = np.asarray(out["present"], dtype=bool)
    conf = np.nan_to_num(np.asarray(out["confidence"], dtype=np.float64), nan=1.0)
    sources = out.get("sources") or {}
    n = len(present)
    q = np.zeros((n, 3, 3))
    for i in range(n):
        for j, m in enumerate(MODALITIES):
            if present[i, j]:
                src = {k: float(v[i, j]) for k, v in sources.items() if np.isfinite(v[i, j])}
                r = float(np.clip(out["modality"][i, j], -INTENSITY_RANGE, INTENSITY_RANGE))
                q[i, j] = conf[i, j] * calibration.probabilities(m, r, src)
    opposed = np.stack([q[:, a, 2] * q[:, b, 0] + q[:, a, 0] * q[:, b, 2] for a, b in PAIRS], axis=1)
    return np.hstack([q.reshape(n, 9), present, opposed, conflict_signal(out, calibration).score[:, None]])


def _scores(variant: Variant, train: WindowOutputs, held: WindowOutputs) -> tuple[np.ndarray, list[str]]:
    """The variant fitted on ``train``: its window scores and odd-one-out names on ``held``."""
    from sklearn.linear_model import LogisticRegression

    if not variant.face_reader:
        train, held = without_face_reader(train), without_face_reader(held)
    calibration = fit_polarity(train, "cross-validation", variant.degree)
    signal = conflict_signal(held, calibration)
    if not variant.stacked:
        return signal.score, signal.name
    multi = np.asarray(train["present"]).sum(axis=1) >= 2
    flag = np.asarray(train["conflict_flag"], dtype=bool)
    head = LogisticRegression(C=1.0, max_iter=5000).fit(stack_features(train, calibration)[multi], flag[multi])
    return head.decision_function(stack_features(held, calibration)), signal.name


def cross_validate(
    valid: WindowOutputs, variants: tuple[Variant, ...] = VARIANTS, seed: int = 0, progress: Callable = print
) -> dict[str, Any]:
    n = len(valid["label"])
    fold = np.random.default_rng(seed).integers(0, FOLDS, n)
    present = np.asarray(valid["present"], dtype=bool)
    multi, flag = present.sum(axis=1) >= 2, np.asarray(valid["conflict_flag"], dtype=bool)
    odd = odd_modality(valid["modality_labels"])
    three = present.all(axis=1) & (odd >= 0)
    rows: list[dict[str, Any]] = []
    previous: np.ndarray | None = None
    for v in variants:
        score, named = np.zeros(n), np.zeros(n, dtype=bool)
        for f in range(FOLDS):
            held = np.flatnonzero(fold == f)
            s, names = _scores(v, subset(valid, np.flatnonzero(fold != f)), subset(valid, held))
            score[held] = s
            named[held] = [nm == (MODALITIES[j] if j >= 0 else None) for nm, j in zip(names, odd[held])]
        per_fold = np.array([roc_auc(score[multi & (fold == f)], flag[multi & (fold == f)]) for f in range(FOLDS)])
        row: dict[str, Any] = {
            "variant": v.name,
            "composed": roc_auc(score[multi], flag[multi]),
            "naming": float(named[three].mean()),
            "composed_by_fold": per_fold.tolist(),
        }
        if previous is not None:
            from scipy import stats

            diff = per_fold - previous
            half = float(stats.t.ppf(0.975, FOLDS - 1) * diff.std(ddof=1) / np.sqrt(FOLDS))
            row["against_previous"] = {"mean": float(diff.mean()), "ci95": [diff.mean() - half, diff.mean() + half]}
        rows.append(row)
        progress(f"{v.name}: composed {row['composed']:.4f}, naming {row['naming']:.4f}")
        previous = per_fold
    windows = {"composed": int(multi.sum()), "naming": int(three.sum())}
    return {"folds": FOLDS, "seed": seed, "windows": windows, "variants": rows}


def markdown(res: dict[str, Any]) -> str:
    L = [
        f"| variant (validation, {res['folds']}-fold, {res['windows']['composed']} / {res['windows']['naming']} "
        "windows) | composed ROC AUC | naming | AUC against the row above, mean [95 % CI] over folds |",
        "|---|---:|---:|---|",
    ]
    for r in res["variants"]:
        d = r.get("against_previous")
        diff = "" if d is None else f"{d['mean']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}]"
        L.append(f"| {r['variant']} | {r['composed']:.3f} | {r['naming']:.3f} | {diff} |")
    return "\n".join(L) + "\n"
