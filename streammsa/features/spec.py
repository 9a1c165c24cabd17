"""The one feature specification that the trainer and the monitor share.

A checkpoint stores ``FeatureSpec.to_dict()``; the monitor rebuilds its extractors
from it, so a model always sees features computed exactly as in training: same
extractor, same parameters, same rates, same normalisation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streammsa import MODALITIES

SPEC_VERSION = 1


@dataclass(frozen=True)
class ModalitySpec:
    """How one modality's feature sequence is produced.

    name: "text" | "audio" | "vision".
    extractor: registry name of the extractor that produces it (e.g. "minilm_tokens",
        "logmel_prosody", "face_blendshapes_fer", or "precomputed" for dataset features).
    dim: feature size per step.
    rate_hz: steps per second on the stream clock; 0 for event-timed steps (text tokens).
    feature_names: one name per dimension (documentation, and a guard against mix-ups).
    params: extractor parameters (sample rate, n_mels, fps, model name, ...), JSON-able.
    mean/std: per-dimension normalisation applied after extraction; None = identity.
    """

    name: str
    extractor: str
    dim: int
    rate_hz: float
    feature_names: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.name not in MODALITIES:
            raise ValueError(f"unknown modality {self.name!r}; expected one of {MODALITIES}")
        if self.feature_names and len(self.feature_names) != self.dim:
            raise ValueError(f"{self.name}: {len(self.feature_names)} feature names for dim {self.dim}")
        for stat in (self.mean, self.std):
            if stat is not None and len(stat) != self.dim:
                raise ValueError(f"{self.name}: normalisation statistics of length {len(stat)} for dim {self.dim}")

    def normalise(self, x: np.ndarray) -> np.ndarray:
        """(T, dim) raw features -> normalised float32 features."""
        x = np.asarray(x, dtype=np.float32)
        if self.mean is None or self.std is None:
            return x
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        return (x - mean) / np.maximum(std, 1e-6)

    def denormalise(self, z: np.ndarray) -> np.ndarray:
        """The inverse of ``normalise``: normalised features -> raw ones (float32)."""
        z = np.asarray(z, dtype=np.float32)
        if self.mean is None or self.std is None:
            return z
        std = np.maximum(np.asarray(self.std, dtype=np.float32), 1e-6)
        return z * std + np.asarray(self.mean, dtype=np.float32)

    def with_stats(self, mean: np.ndarray, std: np.ndarray) -> "ModalitySpec":
        return dataclasses.replace(self, mean=tuple(float(v) for v in mean), std=tuple(float(v) for v in std))


@dataclass(frozen=True)
class FeatureSpec:
    """All three modalities plus the window geometry the model was trained on."""

    text: ModalitySpec
    audio: ModalitySpec
    vision: ModalitySpec
    window_s: float = 4.0
    hop_s: float = 1.0
    version: int = SPEC_VERSION

    def __getitem__(self, modality: str) -> ModalitySpec:
        if modality not in MODALITIES:
            raise KeyError(modality)
        return getattr(self, modality)

    @property
    def dims(self) -> dict[str, int]:
        return {m: self[m].dim for m in MODALITIES}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FeatureSpec":
        if d.get("version", SPEC_VERSION) > SPEC_VERSION:
            raise ValueError(
                f"feature spec version {d['version']} is newer than this streammsa ({SPEC_VERSION}); upgrade streammsa"
            )

        def mod(m: dict[str, Any]) -> ModalitySpec:
            m = dict(m)
            for key in ("feature_names", "mean", "std"):
                if m.get(key) is not None:
                    m[key] = tuple(m[key])
            return ModalitySpec(**m)

        return cls(
            text=mod(d["text"]),
            audio=mod(d["audio"]),
            vision=mod(d["vision"]),
            window_s=float(d.get("window_s", 4.0)),
            hop_s=float(d.get("hop_s", 1.0)),
            version=int(d.get("version", SPEC_VERSION)),
        )

    def compatible_with(self, other: "FeatureSpec") -> list[str]:
        """Differences that would make a model read features it was not trained on (empty = compatible)."""
        problems = []
        for m in MODALITIES:
            a, b = self[m], other[m]
            for attr in ("extractor", "dim", "rate_hz", "params"):
                if getattr(a, attr) != getattr(b, attr):
                    problems.append(f"{m}.{attr}: {getattr(a, attr)!r} != {getattr(b, attr)!r}")
        return problems
