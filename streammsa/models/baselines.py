"""Baselines: late fusion over per-modality encoders, and single-modality models.

Each modality: temporal projection -> transformer encoder -> masked mean pooling -> head.
Their pooled encodings live in three unrelated spaces (no shared subspace), so a cosine
"conflict" between them would measure nothing: baselines report conflict = 0 and weight = 1.
Loss: L1 on the final output plus L1 on every per-modality head (weights 1), masked by presence.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from streammsa import MODALITIES
from streammsa.models.decoupling import model_inputs
from streammsa.models.io import ModelOutput, MSABatch
from streammsa.models.layers import MLPHead, TemporalProjection, TransformerEncoder, masked_mean
from streammsa.models.objectives import hierarchical_task_loss, total_loss
from streammsa.models.registry import register


@dataclass
class LateFusionConfig:
    d_model: int = 48
    heads: int = 4
    layers: int = 1
    dropout: float = 0.1
    kernel_size: int = 3
    private_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")
        if len(self.private_weights) != len(MODALITIES):
            raise ValueError(f"private_weights needs one weight per modality {MODALITIES}")


@dataclass
class SingleModalityConfig:
    d_model: int = 48
    heads: int = 4
    layers: int = 1
    dropout: float = 0.1
    kernel_size: int = 3

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")


class ModalityEncoder(nn.Module):
    """Projection + encoder + masked pooling of one modality -> (B, d)."""

    def __init__(self, in_dim: int, d: int, heads: int, layers: int, dropout: float, kernel_size: int) -> None:
        super().__init__()
        self.project = TemporalProjection(in_dim, d, kernel_size)
        self.encoder = TransformerEncoder(d, heads, layers, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return masked_mean(self.encoder(self.project(x, mask), mask), mask)


def _neutral_readout(present: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    zeros = like.new_zeros(present.shape)
    return zeros, torch.ones_like(zeros)


@register("late_fusion", LateFusionConfig)
class LateFusion(nn.Module):
    """Per-modality encoders; an MLP over the pooled vectors (absent ones replaced by learned embeddings)."""

    def __init__(self, dims: dict[str, int], config: LateFusionConfig) -> None:
        super().__init__()
        self.name = "late_fusion"
        self.config = c = config
        self.dims = dict(dims)
        d = c.d_model
        self.encoders = nn.ModuleDict(
            {m: ModalityEncoder(dims[m], d, c.heads, c.layers, c.dropout, c.kernel_size) for m in MODALITIES}
        )
        self.absent = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.heads = nn.ModuleDict({m: MLPHead(d, d, c.dropout) for m in MODALITIES})
        self.fusion_head = MLPHead(len(MODALITIES) * d, d, c.dropout)

    def forward(self, batch: MSABatch, with_losses: bool | None = None) -> ModelOutput:
        feats, masks, present = model_inputs(batch, self.dims)
        pooled = torch.stack(
            [
                torch.where(present[:, i : i + 1], self.encoders[m](feats[m], masks[m]), self.absent[i])
                for i, m in enumerate(MODALITIES)
            ],
            dim=1,
        )
        unimodal = torch.stack([self.heads[m](pooled[:, i]) for i, m in enumerate(MODALITIES)], dim=1)
        intensity = self.fusion_head(pooled.flatten(1))
        conflict, weight = _neutral_readout(present, intensity)
        return ModelOutput(
            intensity=intensity,
            modality_intensity=torch.where(present, unimodal, torch.zeros_like(unimodal)),
            conflict=conflict,
            weight=weight,
            present=present,
        )

    def compute_loss(self, batch: MSABatch, out: ModelOutput) -> tuple[torch.Tensor, dict[str, float]]:
        task, parts = hierarchical_task_loss(batch, out, self.config.private_weights, shared_weight=0.0)
        return total_loss(task, parts, out.losses, {})


class SingleModality(nn.Module):
    """One modality only; an absent modality gives the learned "absent" embedding's reading."""

    modality: str = ""

    def __init__(self, dims: dict[str, int], config: SingleModalityConfig) -> None:
        super().__init__()
        self.name = f"{self.modality}_only"
        self.config = c = config
        self.dims = dict(dims)
        self.index = MODALITIES.index(self.modality)
        self.encoder = ModalityEncoder(dims[self.modality], c.d_model, c.heads, c.layers, c.dropout, c.kernel_size)
        self.absent = nn.Parameter(torch.randn(c.d_model) * 0.02)
        self.head = MLPHead(c.d_model, c.d_model, c.dropout)

    def forward(self, batch: MSABatch, with_losses: bool | None = None) -> ModelOutput:
        feats, masks, present = model_inputs(batch, self.dims)
        mine = present[:, self.index : self.index + 1]
        pooled = torch.where(mine, self.encoder(feats[self.modality], masks[self.modality]), self.absent)
        intensity = self.head(pooled)
        modality_intensity = intensity.new_zeros(present.shape)
        modality_intensity[:, self.index] = torch.where(mine[:, 0], intensity, torch.zeros_like(intensity))
        conflict, weight = _neutral_readout(present, intensity)
        return ModelOutput(
            intensity=intensity,
            modality_intensity=modality_intensity,
            conflict=conflict,
            weight=weight,
            present=present,
        )

    def compute_loss(self, batch: MSABatch, out: ModelOutput) -> tuple[torch.Tensor, dict[str, float]]:
        task, parts = hierarchical_task_loss(batch, out, (0.0, 0.0, 0.0), shared_weight=0.0)
        return total_loss(task, parts, out.losses, {})


@register("text_only", SingleModalityConfig)
class TextOnly(SingleModality):
    modality = "text"


@register("audio_only", SingleModalityConfig)
class AudioOnly(SingleModality):
    modality = "audio"


@register("vision_only", SingleModalityConfig)
class VisionOnly(SingleModality):
    modality = "vision"
