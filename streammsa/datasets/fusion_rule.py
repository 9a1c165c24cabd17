"""How per-modality sentiment (text, audio, vision) combines into one overall reading.

The rule is fitted on real human judgments (CH-SIMS v2's separately annotated T/A/V and overall
labels; checked on CREMA-D's voice-only / face-only / audio-visual votes) by
``scripts/fit_fusion_rule.py``, which writes the fitted numbers to ``fusion_rule.json`` beside this
module. All values are on the [-3, 3] intensity scale (CH-SIMS' [-1, 1] is multiplied by 3).

One family covers every candidate::

    s_m     = w_m * exp(beta * |y_m| + kappa * [y_m < 0])      for each *present* modality m
    overall = clip(b + g * sum_m s_m y_m / sum_m s_m, -3, 3)

* ``linear``: beta = kappa = 0, a weighted mean with intercept ``b`` and gain ``g``.
* ``salience`` (nonlinear): beta > 0 lets the strongest cue dominate; kappa > 0 gives negative cues
  extra weight (negativity bias). Both are fitted, so the data decide whether either matters.
* ``mean`` (baseline): equal weights, b = 0, g = 1. ``text`` (baseline): text weight only.

Weights renormalise over the modalities present, so a missing modality (None or NaN) is left out
rather than read as neutral evidence.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from streammsa import MODALITIES
from streammsa.errors import InputError

FORMS = ("mean", "text", "linear", "salience")
FITTED_FORMS = ("linear", "salience")
DEFAULT_PATH = Path(__file__).with_name("fusion_rule.json")
LIMIT = 3.0


@dataclass(frozen=True)
class FusionRule:
    """A fitted (or baseline) fusion rule; see the module docstring for the formula."""

    form: str
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
    """Base weight per modality in MODALITIES order (text, audio, vision); they sum to 1."""
    intercept: float = 0.0
    gain: float = 1.0
    salience: float = 0.0
    """beta: extra weight per unit |y| (strongest cue dominates)."""
    negativity: float = 0.0
    """kappa: extra log-weight of a negative cue (negativity bias)."""
    meta: dict = field(default_factory=dict, compare=False)
    """Provenance: fitted on what, by which command, with which seed and scores."""

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise InputError(f"unknown fusion rule form {self.form!r}: use one of {', '.join(FORMS)}")
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (3,) or np.any(w < 0) or not math.isclose(float(w.sum()), 1.0, abs_tol=1e-9):
            raise InputError(f"fusion weights {self.weights} must be 3 non-negative numbers summing to 1")

    # ------------------------------------------------------------------ applying the rule

    def combine(self, y_t: float | None, y_a: float | None, y_v: float | None) -> float:
        """Overall intensity in [-3, 3] from per-modality intensities; None or NaN marks an absent one."""
        row = np.array([[_value(y_t, "y_t"), _value(y_a, "y_a"), _value(y_v, "y_v")]], dtype=float)
        if np.all(np.isnan(row)):
            raise InputError("combine needs at least one present modality: y_t, y_a and y_v are all absent")
        out = self.predict(row)[0]
        if math.isnan(out):
            raise InputError(f"{self.form} rule gives no reading without the text modality")
        return float(out)

    def effective_weights(self, y_t: float | None, y_a: float | None, y_v: float | None) -> dict[str, float]:
        """Share of each present modality in this combination (sums to 1; absent ones are 0)."""
        row = np.array([[_value(y_t, "y_t"), _value(y_a, "y_a"), _value(y_v, "y_v")]], dtype=float)
        s = self._scores(row)[0]
        total = s.sum()
        if total <= 0:
            raise InputError("no present modality carries weight in this rule")
        return {m: float(v / total) for m, v in zip(MODALITIES, s)}

    def predict(self, y: np.ndarray) -> np.ndarray:
        """Vectorised combine over an (N, 3) array in MODALITIES order, NaN = absent.

        Rows where no present modality has weight give NaN (e.g. the text-only baseline without text).
        """
        y = np.asarray(y, dtype=float)
        if y.ndim != 2 or y.shape[1] != 3:
            raise InputError(f"expected an (N, 3) array of text/audio/vision intensities, got shape {y.shape}")
        finite = y[~np.isnan(y)]
        if finite.size and (np.any(np.abs(finite) > LIMIT + 1e-9)):
            raise InputError("per-modality intensities must lie in [-3, 3] (scale CH-SIMS' [-1, 1] labels by 3)")
        s = self._scores(y)
        total = s.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fused = (s * np.nan_to_num(y)).sum(axis=1) / total
        out = np.clip(self.intercept + self.gain * fused, -LIMIT, LIMIT)
        out[total <= 0] = np.nan
        return out

    def _scores(self, y: np.ndarray) -> np.ndarray:
        present = ~np.isnan(y)
        v = np.nan_to_num(y)
        log_s = self.salience * np.abs(v) + self.negativity * (v < 0)
        return np.where(present, np.asarray(self.weights) * np.exp(log_s), 0.0)

    # ------------------------------------------------------------------ storage

    def to_dict(self) -> dict:
        d = asdict(self)
        d["weights"] = dict(zip(MODALITIES, self.weights))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FusionRule:
        try:
            w = d["weights"]
            weights = tuple(float(w[m]) for m in MODALITIES) if isinstance(w, dict) else tuple(map(float, w))
            return cls(
                form=d["form"],
                weights=weights,  # type: ignore[arg-type]
                intercept=float(d["intercept"]),
                gain=float(d["gain"]),
                salience=float(d.get("salience", 0.0)),
                negativity=float(d.get("negativity", 0.0)),
                meta=dict(d.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"fusion rule record is malformed ({exc}); re-create it with scripts/fit_fusion_rule.py"
            ) from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> FusionRule:
        """The selected rule from ``fusion_rule.json`` (package data) or another file of that shape."""
        path = Path(path) if path is not None else DEFAULT_PATH
        if not path.is_file():
            raise InputError(f"{path} not found: run scripts/fit_fusion_rule.py to fit the fusion rule")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not valid JSON ({exc}); re-create it with scripts/fit_fusion_rule.py") from exc
        return cls.from_dict(record["selected"] if "selected" in record else record)


def baseline(form: str) -> FusionRule:
    """The unfitted baselines: ``mean`` of present modalities, or ``text`` only."""
    if form == "mean":
        return FusionRule("mean")
    if form == "text":
        return FusionRule("text", weights=(1.0, 0.0, 0.0))
    raise InputError(f"{form!r} is not a baseline: use 'mean' or 'text'")


def _value(x: float | None, name: str) -> float:
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a number in [-3, 3], None or NaN, not {x!r}") from exc


# ---------------------------------------------------------------------- fitting


def _rule_from_theta(form: str, theta: np.ndarray) -> FusionRule:
    # theta = [b, log g, log(w_a / w_t), log(w_v / w_t), beta, kappa]: unconstrained, so weights stay
    # positive and sum to 1 without constraints in the optimiser.
    logits = np.array([0.0, theta[2], theta[3]])
    w = np.exp(logits - logits.max())
    w = w / w.sum()
    beta, kappa = (float(theta[4]), float(theta[5])) if form == "salience" else (0.0, 0.0)
    return FusionRule(form, tuple(float(x) for x in w), float(theta[0]), float(np.exp(theta[1])), beta, kappa)  # type: ignore[arg-type]


def fit_rule(form: str, y: np.ndarray, target: np.ndarray, seed: int = 0, restarts: int = 8) -> FusionRule:
    """Least-squares fit of a ``linear`` or ``salience`` rule on (N, 3) inputs (NaN = absent) and targets.

    Deterministic for a given seed: L-BFGS-B from ``restarts`` seeded starting points (the first is
    the plain mean), keeping the lowest training loss.
    """
    if form not in FITTED_FORMS:
        raise InputError(f"only {FITTED_FORMS} are fitted; {form!r} is a baseline")
    y = np.asarray(y, dtype=float)
    target = np.asarray(target, dtype=float)
    if y.ndim != 2 or y.shape[1] != 3 or target.shape != (y.shape[0],) or y.shape[0] < 10:
        raise InputError(f"need an (N, 3) input and N targets with N >= 10, got {y.shape} and {target.shape}")
    n_params = 6 if form == "salience" else 4

    def loss(p: np.ndarray) -> float:
        theta = np.zeros(6)
        theta[:n_params] = p
        pred = _rule_from_theta(form, theta).predict(y)
        return float(np.mean((pred - target) ** 2))

    rng = np.random.default_rng(seed)
    starts = [np.zeros(n_params)] + [rng.normal(0.0, 0.5, n_params) for _ in range(restarts - 1)]
    best = None
    for x0 in starts:
        res = minimize(loss, x0, method="L-BFGS-B", options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8})
        if best is None or res.fun < best.fun - 1e-12:
            best = res
    assert best is not None
    theta = np.zeros(6)
    theta[:n_params] = best.x
    return _rule_from_theta(form, theta)


# ---------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class FitScores:
    """How well a rule's predictions match human overall judgments on one set of clips."""

    n: int
    mae: float
    pearson: float
    sign_agreement: float
    """Among clips whose overall label is not 0: fraction with the same sign (MMSA's Non0 Acc-2)."""

    def as_dict(self) -> dict[str, float]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def score(pred: np.ndarray, target: np.ndarray) -> FitScores:
    pred = np.asarray(pred, dtype=float)
    target = np.asarray(target, dtype=float)
    ok = ~np.isnan(pred)
    pred, target = pred[ok], target[ok]
    if pred.size < 2:
        raise InputError("need at least two predictions to score a fusion rule")
    nz = target != 0
    r = float(np.corrcoef(pred, target)[0, 1]) if np.std(pred) > 0 and np.std(target) > 0 else math.nan
    return FitScores(
        n=int(pred.size),
        mae=float(np.mean(np.abs(pred - target))),
        pearson=r,
        sign_agreement=float(np.mean((pred[nz] > 0) == (target[nz] > 0))) if nz.any() else math.nan,
    )


def polarity_subsets(y: np.ndarray) -> dict[str, np.ndarray]:
    """Masks over (N, 3) complete inputs: all clips, polarities disagree (-, 0, + not all equal), opposite (+ and -)."""
    sign = np.sign(y)
    agree = (sign[:, 0] == sign[:, 1]) & (sign[:, 1] == sign[:, 2])
    opposite = (sign > 0).any(axis=1) & (sign < 0).any(axis=1)
    return {"all": np.ones(len(y), dtype=bool), "disagree": ~agree, "opposite": opposite}
