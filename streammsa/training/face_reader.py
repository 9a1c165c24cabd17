"""Fitting the face reader (models/face_reader.py): ridge regression of valence on a face's mean expression
probabilities (the bundled classifier's seven).

Items: the faces corpus's photos (one identity never in two splits; datasets/items.py), their features made by
the monitor's own face extractor (cached by the composed dataset's build). Photos count by their label confidence,
sides not balanced (training/ridge_reader.py): on the classifier's probabilities neutral and negative faces overlap,
and every extra weight on the few negative photos pulls neutral faces down with the angry ones (validation,
negative photos weighted x1 / x2 / x3 / x5: neutral +0.04 / -0.14 / -0.27 / -0.46, anger -0.42 / -0.72 / -0.90 /
-1.11; balanced: neutral -0.6). Neutral faces are the common case in a meeting, so they are kept near 0 and anger
reads weakly negative. The ridge strength is chosen on the validation identities (MAE), the shipped
reader is refitted on train + validation, and the test identities are scored once, beside the classifier's own
happy probability on the same photos (issue #10: the face reading must rank at least as well).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.features.vision import FER_LABELS, FER_SLICE
from streammsa.models.face_reader import FaceReader, pooled_expressions
from streammsa.training.evaluation.scoring import polarity_auroc
from streammsa.training.ridge_reader import fit_ridge

ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)
ALPHA_SHIPPED = 100.0  # what the validation identities chose (models/face_reader.md)
HAPPY = FER_SLICE.start + FER_LABELS.index("happy")


@dataclass
class Faces:
    x: np.ndarray  # (N, 7) pooled expressions (models/face_reader.pooled_expressions)
    happy: np.ndarray  # (N,) the classifier's happy probability (the baseline)
    label: np.ndarray  # (N,) valence in [-3, 3]
    weight: np.ndarray  # (N,) label confidence
    emotion: np.ndarray  # (N,)


def face_rows(shared: Path, cache: Path, split: str) -> Faces:
    """The faces corpus's photos of one split, as the monitor's face extractor sees them."""
    from streammsa.features.defaults import default_feature_spec
    from streammsa.training.evaluation.unimodal import held_out_pools

    pools = held_out_pools(shared, cache, default_feature_spec(), split)
    entries = [e for e in pools.entries["vision"][split] if e.item.corpus == "faces" and len(e.features)]
    return Faces(
        x=np.stack([pooled_expressions(e.features) for e in entries]),
        happy=np.asarray([float(np.mean(e.features[:, HAPPY])) for e in entries]),
        label=np.asarray([e.item.label for e in entries], np.float64),
        weight=np.asarray([e.item.confidence for e in entries], np.float64),
        emotion=np.asarray([e.item.emotion or "" for e in entries], dtype=object),
    )


def joined(a: Faces, b: Faces) -> Faces:
    return Faces(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Faces.__dataclass_fields__))


def fit(faces: Faces, alpha: float, meta: dict[str, Any] | None = None) -> FaceReader:
    return FaceReader(*fit_ridge(faces.x, faces.label, faces.weight, alpha, balance=False), meta or {})


def score(reader: FaceReader, faces: Faces) -> dict[str, Any]:
    r = reader.read_pooled(faces.x)
    neutral = faces.emotion == "neutral"
    return {
        "photos": len(r),
        "auroc": polarity_auroc(r, faces.label),
        "happy_probability_auroc": polarity_auroc(faces.happy, faces.label),
        "mae": float(np.average(np.abs(r - faces.label), weights=faces.weight)),
        "neutral_mean": float(r[neutral].mean()) if neutral.any() else None,
        "neutral_std": float(r[neutral].std()) if neutral.any() else None,
        "per_emotion": {e: float(r[faces.emotion == e].mean()) for e in sorted(set(faces.emotion.tolist()))},
    }


def choose_alpha(train: Faces, valid: Faces, alphas: Sequence[float] = ALPHAS) -> tuple[float, dict[float, float]]:
    """The ridge strength with the lowest validation MAE (and every candidate's)."""
    maes = {
        a: float(np.average(np.abs(fit(train, a).read_pooled(valid.x) - valid.label), weights=valid.weight))
        for a in alphas
    }
    return min(maes, key=maes.__getitem__), maes
