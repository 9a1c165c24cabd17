"""Helpers for the training tests: small datasets written in the real on-disk schemas.

``PooledRegressor`` is a minimal model that follows the model contract (``.name``,
``.config`` dataclass, ``forward(MSABatch) -> ModelOutput``, ``compute_loss``): it lets the
trainer tests run in seconds. Tests that need the real registry build models from it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from streammsa import MODALITIES
from streammsa.features.spec import FeatureSpec, ModalitySpec
from streammsa.models.io import ModelOutput, MSABatch
from streammsa.training.dataset import Sample
from streammsa.training.feature_data import write_feature_split

DIMS = {"text": 6, "audio": 4, "vision": 3}


@dataclass
class PooledConfig:
    hidden: int = 8
    dropout: float = 0.1


class PooledRegressor(nn.Module):
    """Masked mean pooling per modality -> MLP -> intensity; per-modality linear heads."""

    def __init__(self, dims: dict[str, int], config: PooledConfig) -> None:
        super().__init__()
        self.name = "pooled"
        self.config = config
        self.proj = nn.ModuleDict({m: nn.Linear(dims[m], config.hidden) for m in MODALITIES})
        self.heads = nn.ModuleDict({m: nn.Linear(config.hidden, 1) for m in MODALITIES})
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Linear(3 * config.hidden, 1)

    def forward(self, batch: MSABatch) -> ModelOutput:
        pooled = []
        for m in MODALITIES:
            mask = batch.mask[m].unsqueeze(-1).float()
            mean = (batch.features[m] * mask).sum(1) / mask.sum(1).clamp(min=1)
            pooled.append(self.drop(torch.relu(self.proj[m](mean))))
        h = torch.cat(pooled, dim=1)
        b = batch.batch_size
        return ModelOutput(
            intensity=self.out(h).squeeze(-1),
            modality_intensity=torch.cat([self.heads[m](p) for m, p in zip(MODALITIES, pooled)], dim=1),
            conflict=torch.zeros(b, 3),
            weight=torch.ones(b, 3),
            present=batch.present,
        )

    def compute_loss(self, batch: MSABatch, out: ModelOutput):
        loss = (out.intensity - batch.labels).abs().mean()
        return loss, {"l1": float(loss.detach())}


def pooled_builder(name: str, dims: dict[str, int], config: dict) -> nn.Module:
    return PooledRegressor(dims, PooledConfig(**config))


def synthetic_samples(n: int, seed: int, missing_every: int = 0) -> list[Sample]:
    """Variable-length sequences whose label is a fixed linear function of the mean features."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        feats = {m: rng.normal(size=(int(rng.integers(2, 9)), DIMS[m])).astype(np.float32) for m in MODALITIES}
        if missing_every and i % missing_every == 0:
            feats["vision"] = np.zeros((0, DIMS["vision"]), np.float32)
        y = 2.0 * feats["text"][:, 0].mean() - 1.5 * feats["audio"][:, 1].mean()
        if len(feats["vision"]):
            y += 0.5 * feats["vision"][:, 2].mean()
        out.append(
            Sample(
                id=f"s{seed}_{i}", features=feats, label=float(np.clip(y, -3, 3)), emotion=i % 8, speaker=f"spk{i % 4}"
            )
        )
    return out


def synthetic_spec() -> FeatureSpec:
    mods = {m: ModalitySpec(name=m, extractor="synthetic", dim=DIMS[m], rate_hz=0.0) for m in MODALITIES}
    return FeatureSpec(**mods)


def write_feature_dir(path: Path, n_train: int = 96, n_valid: int = 32, n_test: int = 32) -> Path:
    spec = synthetic_spec()
    for split, n, seed in (("train", n_train, 1), ("valid", n_valid, 2), ("test", n_test, 3)):
        write_feature_split(path, split, synthetic_samples(n, seed, missing_every=5), spec)
    return path


def mmsa_split(
    n: int, seed: int, t_text: int = 7, t_audio: int = 9, t_vision: int = 5, bert: bool = True, sims: bool = False
) -> dict:
    """One split in MMSA's unaligned schema, zero-padded at the end as MMSA pads."""
    rng = np.random.default_rng(seed)
    text_len = rng.integers(1, t_text + 1, size=n)
    audio_len = rng.integers(1, t_audio + 1, size=n)
    vision_len = rng.integers(1, t_vision + 1, size=n)
    text = np.zeros((n, t_text, DIMS["text"]), np.float32)
    audio = np.zeros((n, t_audio, DIMS["audio"]), np.float32)
    vision = np.zeros((n, t_vision, DIMS["vision"]), np.float32)
    text_bert = np.zeros((n, 3, t_text), np.float32)
    for i in range(n):
        text[i, : text_len[i]] = rng.normal(size=(text_len[i], DIMS["text"]))
        audio[i, : audio_len[i]] = rng.normal(size=(audio_len[i], DIMS["audio"]))
        vision[i, : vision_len[i]] = rng.normal(size=(vision_len[i], DIMS["vision"]))
        text_bert[i, 0, : text_len[i]] = rng.integers(100, 2000, size=text_len[i])
        text_bert[i, 1, : text_len[i]] = 1
    labels = np.clip(2 * text[:, :, 0].sum(1) / text_len, -3, 3).astype(np.float32)
    split = {
        "raw_text": np.array([f"utterance {i}" for i in range(n)], dtype=object),  # MMSA stores object arrays
        "id": np.array([f"vid{seed}$_${i}" for i in range(n)]),
        "text": text,
        "audio": audio,
        "vision": vision,
        "audio_lengths": audio_len,
        "vision_lengths": vision_len,
        "regression_labels": labels,
    }
    if bert:
        split["text_bert"] = text_bert
    if sims:
        for k in "TAV":
            split[f"regression_labels_{k}"] = np.clip(labels + rng.normal(size=n) * 0.1, -1, 1).astype(np.float32)
    return split


def write_mmsa_pickle(path: Path, n: int = 40, **kw) -> Path:
    data = {"train": mmsa_split(n, 1, **kw), "valid": mmsa_split(n // 2, 2, **kw), "test": mmsa_split(n // 2, 3, **kw)}
    with open(path, "wb") as fh:
        pickle.dump(data, fh)
    return path
