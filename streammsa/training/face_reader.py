"""Fitting the face reader (models/face_reader.py): the probability that a face is negative, neutral or positive,
from its mean expression probabilities (the bundled classifier's seven), read out as the expected valence.

Items: the faces corpus's photos (one identity never in two splits; datasets/items.py), their features made by the
monitor's own face extractor (cached by the composed dataset's build). Photos count by their label confidence.
Sessions 7-11 fitted a ridge regression onto valence: on the classifier's probabilities neutral and negative faces
overlap, and least squares kept neutral faces near 0 by reading anger weakly; the polarity probabilities keep
neutral faces there and read anger further out (validation MAE 0.687 -> 0.566; test identities: anger -0.48 ->
-0.67, neutral -0.19 -> -0.17; models/face_reader.md, docs/live-results.md session 12). The regularisation is chosen
on the validation identities (MAE), the shipped reader is refitted on train + validation, and the test identities
are scored once, beside the classifier's own happy probability on the same photos (issue #10: the face reading must
rank at least as well).
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

STRENGTHS = (0.01, 0.1, 1.0, 10.0)  # inverse L2 regularisation of the logistic regression (scikit-learn's C)
POLARITY_BAND = 0.5  # a label at least this far from 0 is a negative or positive face (training/evaluation/scoring)
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


def polarity(label: np.ndarray) -> np.ndarray:
    """0 negative, 1 neutral, 2 positive."""
    return np.where(label >= POLARITY_BAND, 2, np.where(label <= -POLARITY_BAND, 0, 1))


def fit(faces: Faces, strength: float, meta: dict[str, Any] | None = None) -> FaceReader:
    """Multinomial logistic regression of the faces' polarity on their standardised expressions; each polarity's
    valence is the mean label of its faces."""
    from sklearn.linear_model import LogisticRegression

    k = polarity(faces.label)
    mu = faces.x.mean(0)
    sigma = np.where(faces.x.std(0) > 1e-8, faces.x.std(0), 1.0)
    model = LogisticRegression(C=strength, max_iter=5000).fit((faces.x - mu) / sigma, k, sample_weight=faces.weight)
    assert list(model.classes_) == [0, 1, 2], model.classes_
    valence = [float(np.average(faces.label[k == c], weights=faces.weight[k == c])) for c in range(3)]
    meta = {**(meta or {}), "valence": [round(v, 6) for v in valence]}
    return FaceReader(mu, sigma, model.coef_.T, model.intercept_, meta)


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


def fit_ridge_reader(faces: Faces, alpha: float = 100.0) -> FaceReader:
    """The ridge regression onto valence of sessions 7-11 (format 1; alpha as it was chosen then), for comparison."""
    from streammsa.training.ridge_reader import fit_ridge

    return FaceReader(*fit_ridge(faces.x, faces.label, faces.weight, alpha, balance=False), {"alpha": alpha})


def choose_strength(
    train: Faces, valid: Faces, strengths: Sequence[float] = STRENGTHS
) -> tuple[float, dict[float, float]]:
    """The regularisation with the lowest validation MAE (and every candidate's)."""
    maes = {
        c: float(np.average(np.abs(fit(train, c).read_pooled(valid.x) - valid.label), weights=valid.weight))
        for c in strengths
    }
    return min(maes, key=maes.__getitem__), maes
