"""Choosing how the conflict signal reads each modality by cross-validation inside the validation windows
(training/evaluation/conflict_selection.py): a face reader that carries the face's polarity, where the face head
shown does not, is seen to help, with an interval over the folds."""

from __future__ import annotations

import numpy as np

from streammsa.training.evaluation.conflict_selection import VARIANTS, cross_validate, markdown, stack_features


def windows(n: int, seed: int = 0) -> dict:
    """Composed-like windows: a known conflict puts one modality on the other side; the face's head (its reading
    shown) is mostly noise, its reader follows the face's label."""
    rng = np.random.default_rng(seed)
    flag = rng.random(n) < 0.35
    base = rng.choice([-1.5, 0.0, 1.5], size=n)
    labels = np.repeat(base[:, None], 3, axis=1)
    odd = rng.integers(0, 3, size=n)
    sign = np.where(base == 0, 1.0, np.sign(base))
    labels[flag, odd[flag]] = -sign[flag] * 2.0
    head = labels + rng.normal(0, 0.7, size=(n, 3))
    head[:, 2] = 0.2 * labels[:, 2] + rng.normal(0, 1.0, size=n)  # the face head: weak
    reader = np.full((n, 3), np.nan)
    reader[:, 0] = labels[:, 0] + rng.normal(0, 0.7, size=n)
    reader[:, 2] = labels[:, 2] + rng.normal(0, 0.5, size=n)  # the face reader: strong, not shown
    present = np.ones((n, 3), dtype=bool)
    modality = np.where(np.isfinite(reader) & np.array([True, False, False]), reader, head)
    return {
        "intensity": modality.mean(axis=1),
        "modality": modality,
        "conflict": np.ones((n, 3)),
        "present": present,
        "label": base,
        "conflict_flag": flag,
        "kind": np.where(flag, "conflict", "agree"),
        "confidence": np.ones((n, 3)),
        "modality_labels": labels,
        "sources": {"reader": reader, "head": head},
    }


def test_the_face_reader_beside_the_head_is_seen_to_help_inside_validation():
    res = cross_validate(windows(900), progress=lambda _: None)
    rows = {r["variant"]: r for r in res["variants"]}
    before, face = rows[VARIANTS[0].name], rows[VARIANTS[1].name]
    assert face["composed"] > before["composed"] + 0.02 and face["naming"] > before["naming"]
    low, high = face["against_previous"]["ci95"]
    assert 0 < low < face["against_previous"]["mean"] < high  # every fold agrees here
    assert "against_previous" not in before and len(face["composed_by_fold"]) == res["folds"]
    assert len(markdown(res).splitlines()) == len(VARIANTS) + 2  # header, separator, one row per variant


def test_the_learned_heads_features_are_the_calibrated_polarities():
    from streammsa.engine.alert_calibration import fit_polarity

    out = windows(300, seed=1)
    calibration = fit_polarity(out, "test", degree=2)
    x = stack_features(out, calibration)
    assert x.shape == (300, 9 + 3 + 3 + 1)
    np.testing.assert_allclose(x[:, :9].reshape(300, 3, 3).sum(axis=2), 1.0, atol=1e-9)  # c = 1: P sums to 1
    opposed = np.asarray(out["modality_labels"][:, 0] * out["modality_labels"][:, 2] < 0)
    assert x[opposed, 9 + 3 + 1].mean() > x[~opposed, 9 + 3 + 1].mean()  # the words-face pair opposes
