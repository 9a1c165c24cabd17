"""The overall reading: the fusion model's reading combined with what each modality reads on its own.

The fusion model (CACR, DBR) reads the words through its own text path, learned from composed windows of review
monologues. On plain meeting speech it can stay positive while the words and the voice turn negative (the demo
clip: words -1.5, voice -0.8, the model +0.3), which is the opposite of what a person reads there. The unimodal
readers the monitor shows (``models/*_reader.py``) are right on such input, so the overall reading stacks them on
the model's:

    y = b * y_model + sum_m w_m * c_m * r_m                              (overall reading)

y_model: the model's confidence-weighted reading (``engine/confidence_fusion.py``); r_m: modality m's reading as
the monitor shows it (clamped to [-3, 3]; the voice against its speaker's baseline); c_m: its confidence (absent:
0, unknown: 1), so a modality without evidence adds nothing and a low-confidence one cannot dominate. No
intercept: a window without evidence reads 0. b and w_m are fitted by ridge regression (alpha 1) on the composed
dataset's VALIDATION windows with the readers the monitor uses (``fit``; ``scripts/calibrate_alerts.py`` stores
them in the checkpoint's ``meta["alerts"]["overall"]``, with the fit's scores on validation and test). A
checkpoint without them reads the model alone (``MODEL_ONLY``); ``Reading.model_intensity`` always carries
y_model, as a diagnostic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streammsa import INTENSITY_RANGE, MODALITIES
from streammsa.errors import UsageError

RIDGE_ALPHA = 1.0


def _no_modalities() -> dict[str, float]:
    return {m: 0.0 for m in MODALITIES}


@dataclass(frozen=True)
class OverallReading:
    """How the overall reading is made: b (``model``) and w_m (``weights``) of the equation above."""

    model: float = 1.0
    weights: Mapping[str, float] = field(default_factory=_no_modalities)
    fitted_on: str = "the fusion model's reading alone"
    # what r_m was during the fit, per modality: "reader" or "head" (None: not recorded, fits before session 12)
    shown: Mapping[str, str] | None = None

    def shown_otherwise(self, shown: Mapping[str, str]) -> list[str]:
        """The modalities a run shows from another source than the fit read (``--face-reader head`` against a fit
        made with the face reader shown): w_m was fitted for the other reading's scale."""
        if self.shown is None:
            return []
        return [m for m in MODALITIES if m in self.shown and m in shown and self.shown[m] != shown[m]]

    def combine(self, model_reading: float, readings: Mapping[str, tuple[float, float | None] | None]) -> float:
        """y for one window. ``readings[m]``: (r_m as shown, c_m or None = unknown), None when absent."""
        y = self.model * model_reading
        for m, w in self.weights.items():
            got = readings.get(m)
            if got is None or w == 0.0:
                continue
            r, c = got
            y += w * (1.0 if c is None else c) * r
        return y

    def combine_all(self, model_reading: np.ndarray, readings: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """y for N windows: ``readings`` and ``confidence`` (N, 3) in MODALITIES order, already 0 where absent."""
        return features(model_reading, readings, confidence) @ self._coefficients()

    def _coefficients(self) -> np.ndarray:
        return np.asarray([self.model, *(self.weights.get(m, 0.0) for m in MODALITIES)])

    def to_record(self) -> dict[str, Any]:
        record = {"fitted_on": self.fitted_on, "model": self.model, "weights": dict(self.weights)}
        return record if self.shown is None else {**record, "shown": dict(self.shown)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> OverallReading:
        """A stored fit (``meta["alerts"]["overall"]``); ``MODEL_ONLY`` when there is none."""
        if not record:
            return MODEL_ONLY
        try:
            weights = {m: float(record["weights"][m]) for m in MODALITIES}
            shown = record.get("shown")
            shown = None if shown is None else {m: str(shown[m]) for m in MODALITIES if m in shown}
            return cls(float(record["model"]), weights, str(record.get("fitted_on", "")), shown)
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"checkpoint overall-reading fit is malformed ({exc!r}); recalibrate with scripts/calibrate_alerts.py"
            ) from None


MODEL_ONLY = OverallReading()


def features(model_reading: np.ndarray, readings: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(N, 4): [y_model, c_text r_text, c_audio r_audio, c_vision r_vision]."""
    r = np.clip(np.nan_to_num(np.asarray(readings, dtype=np.float64)), -INTENSITY_RANGE, INTENSITY_RANGE)
    c = np.nan_to_num(np.asarray(confidence, dtype=np.float64))
    return np.column_stack([np.asarray(model_reading, dtype=np.float64), c * r])


def window_terms(readings: np.ndarray, present: np.ndarray, confidence: np.ndarray | None) -> tuple:
    """(r, c) of N windows as ``combine_all`` takes them: absent -> c 0, unknown confidence (NaN) -> 1."""
    present = np.asarray(present, dtype=bool)
    c = np.ones(present.shape) if confidence is None else np.where(np.isnan(confidence), 1.0, confidence)
    return np.where(present, readings, 0.0), np.where(present, c, 0.0)


def fit(
    model_reading: np.ndarray,
    readings: np.ndarray,
    confidence: np.ndarray,
    labels: np.ndarray,
    fitted_on: str,
    shown: Mapping[str, str] | None = None,
) -> OverallReading:
    """b and w_m by ridge regression without intercept of the overall labels on ``features``; ``shown``: what read
    each modality's r_m ("reader" or "head"), recorded so a run showing another reading can say so."""
    from sklearn.linear_model import Ridge

    x = features(model_reading, readings, confidence)
    coef = Ridge(alpha=RIDGE_ALPHA, fit_intercept=False).fit(x, np.asarray(labels, dtype=np.float64)).coef_
    weights = {m: round(float(w), 6) for m, w in zip(MODALITIES, coef[1:])}
    return OverallReading(round(float(coef[0]), 6), weights, fitted_on, None if shown is None else dict(shown))


def shown_sources(text_reader: Any, voice_reader: Any, face_shown: bool) -> dict[str, str]:
    """What reads each modality's reading shown, "reader" or "head" (``OverallReading.shown``): a text or voice
    reader of None is the model's head; the face reader is always loaded, and shown with ``face_shown``."""
    return {
        "text": "head" if text_reader is None else "reader",
        "audio": "head" if voice_reader is None else "reader",
        "vision": "reader" if face_shown else "head",
    }


def of_checkpoint(meta: Mapping[str, Any]) -> OverallReading:
    """The fit a checkpoint's alert record carries (``meta["alerts"]["overall"]``), else ``MODEL_ONLY``."""
    return OverallReading.from_record((meta.get("alerts") or {}).get("overall"))
