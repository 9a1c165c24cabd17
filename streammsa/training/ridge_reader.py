"""Ridge regression for the linear readers (models/linear_reader.py): standardised features, each item weighted by
its label confidence and, with ``balance``, the positive, neutral and negative sides weighing the same in total
(acted voice corpora hold several negative emotions to one positive; fitted as they come, the voice reader read
every voice negative)."""

from __future__ import annotations

import numpy as np


def balanced_weights(label: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight`` rescaled so that the positive, neutral and negative items each sum to the same (mean 1)."""
    side, w = np.sign(label), np.asarray(weight, np.float64).copy()
    for s in (-1.0, 0.0, 1.0):
        if (sel := side == s).any():
            w[sel] /= w[sel].sum()
    return w / w.mean()


def fit_ridge(
    x: np.ndarray, label: np.ndarray, weight: np.ndarray, alpha: float, balance: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mu, sigma, w, b) of r = w . (x - mu) / sigma + b (sides balanced by ``balanced_weights`` with ``balance``)."""
    x, y = np.asarray(x, np.float64), np.asarray(label, np.float64)
    sw = balanced_weights(y, weight) if balance else np.asarray(weight, np.float64) / np.mean(weight)
    mu = x.mean(0)
    sigma = np.where(x.std(0) > 1e-8, x.std(0), 1.0)
    z = (x - mu) / sigma
    b = float(np.average(y, weights=sw))
    zc = z - np.average(z, axis=0, weights=sw)  # the intercept is the weighted mean label
    a = (zc * sw[:, None]).T @ zc + alpha * np.eye(z.shape[1])
    w = np.linalg.solve(a, (zc * sw[:, None]).T @ (y - b))
    b -= float(np.average(z, axis=0, weights=sw) @ w)
    return mu, sigma, w, b
