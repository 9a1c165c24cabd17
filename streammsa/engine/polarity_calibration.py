"""How likely a modality's reading is negative, neutral or positive: the calibration the conflict signal reads.

The unimodal readings are on one intensity scale but not equally reliable: the words' reader ranks polarity
better than the voice's, and a face head may read neutral faces a little negative. Comparing raw
intensities (the rule before session 8) let the least reliable reading look like the odd one out. Each
modality's reading r is mapped instead to the probability of each polarity of its own label (negative
<= -0.5 < neutral < +0.5 <= positive, the composed dataset's bands):

    P_m(r) = softmax(W_m [r, r^2] + b_m)                          (polarity calibration)
    P_m(u, h) = softmax(W_m [u, u^2, h, h^2] + b_m)               (read by its own reader u and by the head h)

A modality with its own reader (the words, the voice, the face: ``models/*_reader.py``) is calibrated from that
reader's reading u and the fusion model's head h for the same modality together, whichever of the two the
dashboard shows (the face shows the head by default): the two rank polarity better together than either alone
(on the composed validation windows the conflict signal's ROC AUC rose 0.840 -> 0.861, naming 0.638 -> 0.664
with the words and the voice, docs/results.md, session 10; with the face too, session 11). Both are compared as
the reading shown is (the voice's against its speaker's baseline). Which readings a modality's calibration reads
is in its record (``inputs``: "reading" = the reading shown, "reader", "head"). Cubic powers were tried and not
taken: inside the validation windows their gain's 95 % interval over folds did not exclude 0
(``training/evaluation/conflict_selection.py``); a record's weight says how many powers it reads.

(``engine/disagreement.py`` adds the confidence: a modality speaks with probability c_m.) W_m and b_m are
fitted on the composed dataset's VALIDATION windows with the readers the monitor uses (``fit``;
``scripts/calibrate_alerts.py`` stores them in the checkpoint's ``meta["alerts"]["polarity"]``, with each
polarity's share there, ``prior``, for the record). A checkpoint without them gets ``DEFAULT``: a hand-set
mapping, positive beyond +0.5 and negative beyond -0.5 with slope 3; so does a modality with too few windows
of every polarity to fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from streammsa import INTENSITY_RANGE, MODALITIES
from streammsa.errors import UsageError

POLARITIES = ("negative", "neutral", "positive")
POLARITY_BAND = 0.5  # |label| >= 0.5 is a polarity (the composed dataset's bins)
MIN_WINDOWS = 20  # per polarity, to fit a modality's calibration


SOURCES = ("reading", "reader", "head")  # the reading shown; the modality's own reader's; the fusion model's head
BOTH = ("reader", "head")  # what a modality with its own reader is calibrated from


DEGREE = 2  # powers of each input a new calibration reads


def _features(values: list[np.ndarray], degree: int = DEGREE) -> np.ndarray:
    """[x, x^2, .., x^degree] for each input, clamped to the intensity scale."""
    xs = [np.clip(np.asarray(v, dtype=np.float64), -INTENSITY_RANGE, INTENSITY_RANGE) for v in values]
    return np.stack([x**k for x in xs for k in range(1, degree + 1)], axis=-1)


@dataclass(frozen=True)
class ModalityPolarity:
    """One modality's mapping: logits = weight @ [x, .., x^degree for x in inputs] + bias, over (negative, neutral,
    positive)."""

    weight: tuple[tuple[float, ...], ...]  # (3, degree * len(inputs))
    bias: tuple[float, float, float]
    prior: tuple[float, float, float]  # the polarities' shares where it was fitted (a record, not used)
    inputs: tuple[str, ...] = ("reading",)  # SOURCES it reads, in the weight's column order

    @property
    def degree(self) -> int:
        return len(self.weight[0]) // len(self.inputs)

    def probabilities(self, reading: float, sources: Mapping[str, float] | None = None) -> np.ndarray:
        """(3,) P(negative, neutral, positive) of this reading; the other inputs are read from ``sources`` (the
        modality's reader's and head's readings), the reading shown standing in for one that is missing (a
        modality read by the head alone, e.g. ``--text-reader head``, is its reading twice)."""
        values = [reading if k == "reading" else (sources or {}).get(k, reading) for k in self.inputs]
        x = _features([np.asarray(float(v)) for v in values], self.degree)
        logits = np.asarray(self.weight) @ x + np.asarray(self.bias)
        p = np.exp(logits - logits.max())
        return p / p.sum()


@dataclass(frozen=True)
class PolarityCalibration:
    modalities: Mapping[str, ModalityPolarity]
    fitted_on: str = "hand-set default"

    def probabilities(self, modality: str, reading: float, sources: Mapping[str, float] | None = None) -> np.ndarray:
        return self.modalities[modality].probabilities(reading, sources)

    def to_record(self) -> dict[str, Any]:
        return {
            "fitted_on": self.fitted_on,
            **{
                m: {
                    "weight": [list(w) for w in p.weight],
                    "bias": list(p.bias),
                    "prior": list(p.prior),
                    "inputs": list(p.inputs),
                }
                for m, p in self.modalities.items()
            },
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> "PolarityCalibration":
        """A stored calibration (``meta["alerts"]["polarity"]``); ``DEFAULT`` when there is none."""
        if not record:
            return DEFAULT
        try:
            mods = {
                m: ModalityPolarity(
                    weight=tuple(tuple(float(v) for v in row) for row in record[m]["weight"]),
                    bias=tuple(float(v) for v in record[m]["bias"]),  # type: ignore[arg-type]
                    prior=tuple(float(v) for v in record[m]["prior"]),  # type: ignore[arg-type]
                    # a record without inputs predates the head (session 10): the reading alone
                    inputs=tuple(str(k) for k in record[m].get("inputs", ("reading",))),
                )
                for m in MODALITIES
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"checkpoint polarity calibration is malformed ({exc!r}); recalibrate with scripts/calibrate_alerts.py"
            ) from None
        for m, p in mods.items():
            cols = np.asarray(p.weight).shape
            shape_ok = cols[0] == 3 and cols[1] in (2 * len(p.inputs), 3 * len(p.inputs)) and len(p.bias) == 3
            shape_ok = shape_ok and len(p.prior) == 3
            if not shape_ok or not set(p.inputs) <= set(SOURCES):
                raise UsageError(f"checkpoint polarity calibration of {m} has the wrong shape; recalibrate it")
        return cls(mods, str(record.get("fitted_on", "")))


_HAND_SET = ModalityPolarity(
    weight=((-3.0, 0.0), (0.0, 0.0), (3.0, 0.0)), bias=(-1.5, 0.0, -1.5), prior=(1 / 3, 1 / 3, 1 / 3)
)
DEFAULT = PolarityCalibration({m: _HAND_SET for m in MODALITIES})


def polarity_of(labels: np.ndarray) -> np.ndarray:
    """Label -> 0 negative, 1 neutral, 2 positive."""
    return np.where(labels >= POLARITY_BAND, 2, np.where(labels <= -POLARITY_BAND, 0, 1))


def fit(
    readings: np.ndarray,
    labels: np.ndarray,
    present: np.ndarray,
    fitted_on: str,
    sources: Mapping[str, np.ndarray] | None = None,
    degree: int = DEGREE,
) -> PolarityCalibration:
    """Per modality, a multinomial logistic regression of its label's polarity on [r, r^2] (readings clamped to
    [-3, 3]) over the windows where it is present and labelled (the hand-set mapping where fewer than
    ``MIN_WINDOWS`` of a polarity are there). ``sources``: ``{"reader": (N, 3), "head": (N, 3)}``, each modality's
    reader's and head's readings (NaN where there is none: the reader could not read, so the reading shown stands
    in); a modality that a reader read is calibrated from both, [u, u^2, h, h^2] (``degree``: powers of each)."""
    from sklearn.linear_model import LogisticRegression

    mods = {}
    for j, m in enumerate(MODALITIES):
        sel = np.asarray(present, dtype=bool)[:, j] & np.isfinite(labels[:, j]) & np.isfinite(readings[:, j])
        y = polarity_of(labels[sel, j])
        if np.bincount(y, minlength=3).min() < MIN_WINDOWS:
            mods[m] = _HAND_SET
            continue
        r = readings[sel, j]
        cols = {k: np.asarray(v, dtype=np.float64)[sel, j] for k, v in (sources or {}).items() if k in BOTH}
        read = "reader" in cols and np.isfinite(cols["reader"]).any()
        inputs = BOTH if read else ("reading",)
        # NaN (the reader could not read): the reading shown stands in
        values = [np.where(np.isfinite(c), c, r) for c in (cols.get(k, r) for k in inputs)]
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(_features(values, degree), y)
        prior = np.bincount(y, minlength=3) / len(y)
        mods[m] = ModalityPolarity(
            weight=tuple(tuple(round(float(v), 6) for v in row) for row in lr.coef_),
            bias=tuple(round(float(v), 6) for v in lr.intercept_),  # type: ignore[arg-type]
            prior=tuple(round(float(v), 6) for v in prior),  # type: ignore[arg-type]
            inputs=inputs,
        )
    return PolarityCalibration(mods, fitted_on)


def of_checkpoint(meta: Mapping[str, Any]) -> PolarityCalibration:
    """The calibration a checkpoint's alert record carries (``meta["alerts"]["polarity"]``), else ``DEFAULT``."""
    return PolarityCalibration.from_record((meta.get("alerts") or {}).get("polarity"))
