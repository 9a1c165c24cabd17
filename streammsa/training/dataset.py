"""What every training data source yields: per-sample modality arrays, labels, and a collate into MSABatch.

The MMSA pickle loader (``mmsa_data``) and the project's own feature format
(``feature_data``) both produce ``MSADataset`` objects, so the trainer and
``streammsa eval`` never care where the features came from.

Features are stored raw and normalised here with the ``FeatureSpec`` statistics,
which is exactly what the live monitor does after extraction: one normalisation,
carried by the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from streammsa import MODALITIES
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec
from streammsa.models.io import MSABatch, pad_sequences

SPLITS = ("train", "valid", "test")
_WHAT_DATA = "pass an MMSA pickle (.pkl) or a feature directory (see docs/feature-format.md)"


@dataclass
class Sample:
    """One utterance / clip. features[m] is (T_m, D_m) float32; T_m == 0 means the modality is missing."""

    id: str
    features: dict[str, np.ndarray]
    label: float
    modality_labels: np.ndarray = field(default_factory=lambda: np.full(3, np.nan, dtype=np.float32))
    emotion: int = -1
    speaker: str = ""
    modality_weights: np.ndarray = field(default_factory=lambda: np.full(3, np.nan, dtype=np.float32))
    """(3,) confidence of each modality label in (0, 1] (the loss weight), NaN = unweighted (1)."""


class MSADataset(Dataset):
    """A list of samples plus the FeatureSpec that describes (and normalises) their features."""

    def __init__(self, samples: list[Sample], spec: FeatureSpec, source: str = "", split: str = "") -> None:
        self.samples = samples
        self.spec = spec
        self.source = source
        self.split = split

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, idx: int) -> Sample:
        s = self.samples[idx]
        feats = {}
        for m in MODALITIES:
            x = s.features[m]
            feats[m] = self.spec[m].normalise(x) if len(x) else np.asarray(x, dtype=np.float32)
        return Sample(s.id, feats, s.label, s.modality_labels, s.emotion, s.speaker, s.modality_weights)

    @property
    def dims(self) -> dict[str, int]:
        return self.spec.dims

    @property
    def labels(self) -> np.ndarray:
        return np.asarray([s.label for s in self.samples], dtype=np.float32)

    @property
    def emotions(self) -> np.ndarray:
        return np.asarray([s.emotion for s in self.samples], dtype=np.int64)

    def feature_stats(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per-dimension mean/std over every valid step of each modality (raw, unnormalised)."""
        stats = {}
        for m in MODALITIES:
            dim = self.spec[m].dim
            total = np.zeros(dim, dtype=np.float64)
            total_sq = np.zeros(dim, dtype=np.float64)
            count = 0
            for s in self.samples:
                x = np.asarray(s.features[m], dtype=np.float64)
                if len(x):
                    total += x.sum(axis=0)
                    total_sq += (x * x).sum(axis=0)
                    count += len(x)
            if count == 0:
                stats[m] = (np.zeros(dim), np.ones(dim))
                continue
            mean = total / count
            std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0))
            # Constant dimensions (e.g. a padding column) keep scale 1 instead of blowing up.
            stats[m] = (mean, np.where(std < 1e-6, 1.0, std))
        return stats

    def with_spec(self, spec: FeatureSpec) -> "MSADataset":
        if spec.dims != self.spec.dims:
            raise InputError(
                f"feature dimensions {self.spec.dims} of {self.source} do not match the model's {spec.dims}"
            )
        return MSADataset(self.samples, spec, self.source, self.split)


def normalised_spec(train: MSADataset) -> FeatureSpec:
    """The train split's spec with per-dimension statistics filled in where it has none."""
    spec = train.spec
    stats = train.feature_stats()
    mods = {}
    for m in MODALITIES:
        ms = spec[m]
        mods[m] = ms if ms.mean is not None else ms.with_stats(*stats[m])
    return FeatureSpec(
        text=mods["text"],
        audio=mods["audio"],
        vision=mods["vision"],
        window_s=spec.window_s,
        hop_s=spec.hop_s,
        version=spec.version,
    )


def collate(samples: list[Sample]) -> MSABatch:
    """Pad each modality to the longest sequence in the batch (``pad_sequences``); masks mark the real steps."""
    if not samples:
        raise ValueError("empty batch")
    rows = [s.features for s in samples]
    dims = {m: next((r[m].shape[1] for r in rows if r[m].ndim == 2), 0) for m in MODALITIES}
    features, masks = pad_sequences(rows, dims)
    labels = torch.tensor([s.label for s in samples], dtype=torch.float32)
    mod_labels = torch.from_numpy(np.stack([np.asarray(s.modality_labels, dtype=np.float32) for s in samples]))
    mod_weights = np.stack([np.asarray(s.modality_weights, dtype=np.float32) for s in samples])
    return MSABatch.build(
        features,
        masks,
        labels=labels,
        modality_labels=mod_labels,
        label_weights=torch.from_numpy(mod_weights) if np.isfinite(mod_weights).any() else None,
        ids=[s.id for s in samples],
    )


def load_split(path: str | Path, split: str) -> MSADataset:
    """Open an MMSA pickle (``*.pkl``) or a project feature directory and return one split."""
    p = Path(path)
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if not p.exists():
        raise InputError(f"data not found: {p}; {_WHAT_DATA}")
    if p.is_dir():
        from streammsa.training.feature_data import load_feature_split

        return load_feature_split(p, split)
    if p.suffix in (".pkl", ".pickle"):
        from streammsa.training.mmsa_data import load_mmsa_split

        return load_mmsa_split(p, split)
    raise InputError(f"{p}: unsupported data; {_WHAT_DATA}")
