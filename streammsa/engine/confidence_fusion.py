"""The overall reading with each modality's influence scaled by its confidence.

The model fuses whatever it is given; it does not know how much evidence each modality holds.
Running it once more per modality with that modality masked gives the modality's contribution
to the fused reading (leave one out):

    D_m = y(all present) - y(all present but m)

and the overall reading keeps each contribution in proportion to the modality's confidence c_m,
relative to a baseline b_m (the speaker's usual voice for audio, 0 for the others):

    y = y(all) + sum_m [ c_m (D_m - b_m) - D_m ]

With every confidence 1 and no baseline this is the model's own reading; a modality with
confidence 0 counts as absent; a low-confidence modality can never dominate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from streammsa import MODALITIES
from streammsa.engine.inference import InferenceEngine
from streammsa.engine.windowing import WindowInputs, collate
from streammsa.models.io import ModelOutput


def without(x: WindowInputs, modality: str) -> WindowInputs:
    feats = dict(x.features)
    feats[modality] = x.features[modality][:0]
    return WindowInputs(x.window, feats, x.confidence)


def run_with_contributions(
    engine: InferenceEngine, inputs: Sequence[WindowInputs]
) -> tuple[ModelOutput, dict[str, np.ndarray]]:
    """The model's output on ``inputs`` and each present modality's contribution D_m per window (0 if absent)."""
    spec = engine.spec
    out = engine.run(collate(list(inputs), spec))
    contributions = {m: np.zeros(len(inputs)) for m in MODALITIES}
    for m in MODALITIES:
        rows = [i for i, x in enumerate(inputs) if x.present[m]]
        if not rows:
            continue
        masked = engine.run(collate([without(inputs[i], m) for i in rows], spec), count=False)
        for k, i in enumerate(rows):
            contributions[m][i] = float(out.intensity[i] - masked.intensity[k])
    return out, contributions


def fused_intensity(
    y_all: float, contributions: dict[str, float], confidence: dict[str, float | None], baseline: dict[str, float]
) -> float:
    """y = y(all) + sum_m [c_m (D_m - b_m) - D_m] over the present modalities (c_m None counts as 1)."""
    y = float(y_all)
    for m, d in contributions.items():
        if d == 0.0:
            continue
        c = confidence.get(m)
        c = 1.0 if c is None else float(c)
        y += c * (d - baseline.get(m, 0.0)) - d
    return y


def with_intensity(out: ModelOutput, intensity: Sequence[float]) -> ModelOutput:
    """``out`` with its overall readings replaced (the per-modality ones stay the model's)."""
    return ModelOutput(
        intensity=torch.tensor(list(intensity), dtype=out.intensity.dtype),
        modality_intensity=out.modality_intensity,
        conflict=out.conflict,
        weight=out.weight,
        present=out.present,
        shared_intensity=out.shared_intensity,
    )
