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
    engine: InferenceEngine, inputs: Sequence[WindowInputs], needed: Sequence[Sequence[str]] | None = None
) -> tuple[ModelOutput, dict[str, np.ndarray]]:
    """The model's output on ``inputs`` and the contribution D_m of each present modality per window.

    ``needed[i]``: the modalities whose contribution window i needs (default: every present one); the
    others read 0. All leave-one-out variants run in the same forward as the windows themselves.
    """
    spec = engine.spec
    wanted = needed if needed is not None else [[m for m in MODALITIES if x.present[m]] for x in inputs]
    variants = [(i, m) for i, x in enumerate(inputs) for m in wanted[i] if x.present[m]]
    out = engine.run(collate(list(inputs) + [without(inputs[i], m) for i, m in variants], spec))
    n = len(inputs)
    contributions = {m: np.zeros(n) for m in MODALITIES}
    for k, (i, m) in enumerate(variants):
        contributions[m][i] = float(out.intensity[i] - out.intensity[n + k])
    engine.windows_run -= len(variants)  # the variants are not windows of their own
    return _first(out, n), contributions


def _first(out: ModelOutput, n: int) -> ModelOutput:
    def take(t: torch.Tensor | None) -> torch.Tensor | None:
        return None if t is None else t[:n]

    return ModelOutput(
        intensity=out.intensity[:n],
        modality_intensity=out.modality_intensity[:n],
        conflict=out.conflict[:n],
        weight=out.weight[:n],
        present=out.present[:n],
        shared_intensity=take(out.shared_intensity),
    )


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
