"""The one input and one output type of every sentiment model (CACR, DBR, baselines).

Sequences are variable-length and padded; ``mask[m]`` marks valid steps and
``present[:, i]`` marks whether modality ``MODALITIES[i]`` exists at all in a
sample (no face in view, no speech). A missing modality is excluded from conflict
averaging, reconstruction and fusion; its padded zeros are never read as evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from streammsa import MODALITIES


@dataclass
class MSABatch:
    """features[m]: (B, T_m, D_m) float; mask[m]: (B, T_m) bool, True = valid step.

    present: (B, 3) bool in MODALITIES order. A modality whose mask is all False must be
    marked absent; ``MSABatch.build`` derives ``present`` from the masks when not given.
    labels: (B,) overall intensity in [-3, 3], optional.
    modality_labels: (B, 3) per-modality intensity, NaN where unknown, optional.
    label_weights: (B, 3) confidence of each modality label in (0, 1] (NaN = 1), optional: the task loss
    weighs a head's sample by it, and the overall label by the mean over the present modalities.
    """

    features: dict[str, torch.Tensor]
    mask: dict[str, torch.Tensor]
    present: torch.Tensor
    labels: torch.Tensor | None = None
    modality_labels: torch.Tensor | None = None
    label_weights: torch.Tensor | None = None
    ids: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        features: dict[str, torch.Tensor],
        mask: dict[str, torch.Tensor] | None = None,
        present: torch.Tensor | None = None,
        **kw,
    ) -> "MSABatch":
        if mask is None:
            mask = {
                m: torch.ones(features[m].shape[:2], dtype=torch.bool, device=features[m].device) for m in MODALITIES
            }
        mask = {m: mask[m].bool() for m in MODALITIES}
        any_valid = torch.stack([mask[m].any(dim=1) for m in MODALITIES], dim=1)
        present = any_valid if present is None else (present.bool() & any_valid)
        return cls(features=features, mask=mask, present=present, **kw)

    @property
    def batch_size(self) -> int:
        return int(self.present.shape[0])

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> "MSABatch":
        def move(t: torch.Tensor | None, cast: bool = False) -> torch.Tensor | None:
            if t is None:
                return None
            t = t.to(device, non_blocking=True)
            return t.to(dtype) if (cast and dtype is not None) else t

        return MSABatch(
            features={m: move(v, cast=True) for m, v in self.features.items()},
            mask={m: move(v) for m, v in self.mask.items()},
            present=move(self.present),
            labels=move(self.labels),
            modality_labels=move(self.modality_labels),
            label_weights=move(self.label_weights),
            ids=list(self.ids),
        )


@dataclass
class ModelOutput:
    """What every forward returns; the monitor shows all of it.

    intensity: (B,) overall sentiment intensity.
    modality_intensity: (B, 3) private-branch (unimodal) intensities, MODALITIES order.
    conflict: (B, 3) C_m, mean cosine distance of pooled shared features to the other
        present modalities (0 where fewer than two modalities are present).
    weight: (B, 3) the reconstruction weight w_m in [w_min, 1] (1 where conflict is undefined): the paper's
        max(w_min, exp(-C_m / tau)), or C_m against the batch's / the training's conflict spread (models/caw.py).
    present: (B, 3) bool presence used for this forward.
    shared_intensity: (B,) shared-branch head, when the model has one.
    losses: auxiliary loss terms computed in the forward (L_o, L_rec, L_p, ...), keyed by name.
    """

    intensity: torch.Tensor
    modality_intensity: torch.Tensor
    conflict: torch.Tensor
    weight: torch.Tensor
    present: torch.Tensor
    shared_intensity: torch.Tensor | None = None
    losses: dict[str, torch.Tensor] = field(default_factory=dict)

    def detach_cpu(self) -> "ModelOutput":
        def f(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.detach().float().cpu()

        return ModelOutput(
            intensity=f(self.intensity),
            modality_intensity=f(self.modality_intensity),
            conflict=f(self.conflict),
            weight=f(self.weight),
            present=self.present.detach().cpu(),
            shared_intensity=f(self.shared_intensity),
            losses={},
        )


def pad_sequences(
    rows: Sequence[Mapping[str, np.ndarray]], dims: Mapping[str, int]
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Pad each modality's (T_m, D_m) arrays to the longest in the batch; masks mark the real steps.

    The one padding rule for training batches and the monitor's windows. At least one (masked)
    step per modality keeps shapes valid when a whole batch lacks a modality.
    """
    b = len(rows)
    features: dict[str, torch.Tensor] = {}
    masks: dict[str, torch.Tensor] = {}
    for m in MODALITIES:
        t_max = max(1, max((len(r[m]) for r in rows), default=0))
        x = torch.zeros((b, t_max, int(dims[m])), dtype=torch.float32)
        k = torch.zeros((b, t_max), dtype=torch.bool)
        for i, r in enumerate(rows):
            n = len(r[m])
            if n:
                x[i, :n] = torch.from_numpy(np.ascontiguousarray(r[m], dtype=np.float32))
                k[i, :n] = True
        features[m], masks[m] = x, k
    return features, masks
