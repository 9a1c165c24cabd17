"""How likely a modality's reading is negative, neutral or positive: the calibration the conflict signal reads.

The unimodal readings are on one intensity scale but not equally reliable: the words' reader ranks polarity
better than the voice's, and a face head may read neutral faces a little negative. Comparing raw
intensities (the rule before session 8) let the least reliable reading look like the odd one out. Each
modality's reading r is mapped instead to the probability of each polarity of its own label (negative
<= -0.5 < neutral < +0.5 <= positive, the composed dataset's bands):

    P_m(r) = softmax(W_m [r, r^2] + b_m)                          (polarity calibration)
    P_m(r, h) = softmax(W_m [r, r^2, h, h^2] + b_m)               (with the model's head h beside a reader's r)

A modality read by its own reader (the words, the voice) is calibrated from that reading and the fusion
model's head for the same modality together: the two rank polarity better together than either alone (on
the composed validation windows the conflict signal's ROC AUC rose 0.840 -> 0.861, naming 0.638 -> 0.664;
docs/results.md, session 10). The head is compared as the reader is (the voice's against its speaker's baseline).

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


def _features(r: np.ndarray, h: np.ndarray | None = None) -> np.ndarray:
    cols = [r, r * r] if h is None else [r, r * r, h, h * h]
    return np.stack(cols, axis=-1)


INPUTS = {2: ("reading",), 4: ("reading", "head")}  # weight columns -> what the calibration reads


@dataclass(frozen=True)
class ModalityPolarity:
    """One modality's mapping: logits = weight @ [r, r^2] (+ [h, h^2]) + bias, over (negative, neutral, positive)."""

    weight: tuple[tuple[float, ...], ...]  # (3, 2), or (3, 4) with the model's head beside the reading
    bias: tuple[float, float, float]
    prior: tuple[float, float, float]  # the polarities' shares where it was fitted (a record, not used)

    @property
    def reads_head(self) -> bool:
        return len(self.weight[0]) == 4

    def probabilities(self, reading: float, head: float | None = None) -> np.ndarray:
        """(3,) P(negative, neutral, positive) of this reading (and the model's head ``head``, where the calibration
        reads it: a modality read by the head alone, e.g. ``--text-reader head``, passes its reading as both)."""
        h = None
        if self.reads_head:
            h = np.clip(np.asarray(float(reading if head is None else head)), -INTENSITY_RANGE, INTENSITY_RANGE)
        logits = np.asarray(self.weight) @ _features(np.asarray(float(reading)), h) + np.asarray(self.bias)
        p = np.exp(logits - logits.max())
        return p / p.sum()


@dataclass(frozen=True)
class PolarityCalibration:
    modalities: Mapping[str, ModalityPolarity]
    fitted_on: str = "hand-set default"

    def probabilities(self, modality: str, reading: float, head: float | None = None) -> np.ndarray:
        return self.modalities[modality].probabilities(reading, head)

    def to_record(self) -> dict[str, Any]:
        return {
            "fitted_on": self.fitted_on,
            **{
                m: {
                    "weight": [list(w) for w in p.weight],
                    "bias": list(p.bias),
                    "prior": list(p.prior),
                    "inputs": list(INPUTS[len(p.weight[0])]),
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
                )
                for m in MODALITIES
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"checkpoint polarity calibration is malformed ({exc!r}); recalibrate with scripts/calibrate_alerts.py"
            ) from None
        for m, p in mods.items():
            if np.asarray(p.weight).shape not in ((3, 2), (3, 4)) or len(p.bias) != 3 or len(p.prior) != 3:
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
    heads: np.ndarray | None = None,
) -> PolarityCalibration:
    """Per modality, a multinomial logistic regression of its label's polarity on [r, r^2] (readings clamped to
    [-3, 3]) over the windows where it is present and labelled (the hand-set mapping where fewer than
    ``MIN_WINDOWS`` of a polarity are there). ``heads`` (N, 3): the model's head beside a modality's reading where a
    reader read it (NaN elsewhere: there the reading is the head's); a modality with heads reads [r, r^2, h, h^2]."""
    from sklearn.linear_model import LogisticRegression

    mods = {}
    for j, m in enumerate(MODALITIES):
        sel = np.asarray(present, dtype=bool)[:, j] & np.isfinite(labels[:, j]) & np.isfinite(readings[:, j])
        y = polarity_of(labels[sel, j])
        if np.bincount(y, minlength=3).min() < MIN_WINDOWS:
            mods[m] = _HAND_SET
            continue
        r = np.clip(readings[sel, j], -INTENSITY_RANGE, INTENSITY_RANGE)
        h = None if heads is None else np.asarray(heads, dtype=np.float64)[sel, j]
        if h is not None and np.isfinite(h).any():
            # NaN: the reader could not read, so the reading was the head's own
            h = np.clip(np.where(np.isfinite(h), h, r), -INTENSITY_RANGE, INTENSITY_RANGE)
        else:
            h = None
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(_features(r, h), y)
        prior = np.bincount(y, minlength=3) / len(y)
        mods[m] = ModalityPolarity(
            weight=tuple(tuple(round(float(v), 6) for v in row) for row in lr.coef_),
            bias=tuple(round(float(v), 6) for v in lr.intercept_),  # type: ignore[arg-type]
            prior=tuple(round(float(v), 6) for v in prior),  # type: ignore[arg-type]
        )
    return PolarityCalibration(mods, fitted_on)


def of_checkpoint(meta: Mapping[str, Any]) -> PolarityCalibration:
    """The calibration a checkpoint's alert record carries (``meta["alerts"]["polarity"]``), else ``DEFAULT``."""
    return PolarityCalibration.from_record((meta.get("alerts") or {}).get("polarity"))
