"""The project's own feature format: one directory, one packed ``.npz`` per split, plus ``spec.json``.

Layout (documented in docs/feature-format.md)::

    DATA/
      spec.json    FeatureSpec.to_dict() of the extractors that produced the features
      train.npz    valid.npz    test.npz

Each split file holds, for N samples:
  ``ids`` (N,) str; ``label`` (N,) float32 overall intensity in [-3, 3];
  optional ``label_T``/``label_A``/``label_V`` (N,) float32, NaN = unknown;
  optional ``weight_T``/``weight_A``/``weight_V`` (N,) float32 label confidence in (0, 1], NaN = unweighted;
  optional ``emotion`` (N,) int64 (-1 = unknown), ``speaker`` (N,) str;
  per modality m in text/audio/vision: ``m`` (sum of T_m, D_m) float32, all samples'
  steps concatenated, and ``m_lengths`` (N,) int64. A length of 0, or a missing ``m``
  key, means the modality is absent for that sample (it gets an all-False mask).
Features are raw (before normalisation); the trainer stores normalisation in the spec.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec
from streammsa.training.dataset import MSADataset, Sample

SPEC_FILE = "spec.json"
LABEL_KEYS = ("label_T", "label_A", "label_V")
WEIGHT_KEYS = ("weight_T", "weight_A", "weight_V")


def write_feature_split(directory: str | Path, split: str, samples: Sequence[Sample], spec: FeatureSpec) -> Path:
    """Pack samples into ``DIR/SPLIT.npz`` and write ``DIR/spec.json``; returns the split file."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "ids": np.asarray([s.id for s in samples], dtype=str),
        "label": np.asarray([s.label for s in samples], dtype=np.float32),
        "emotion": np.asarray([s.emotion for s in samples], dtype=np.int64),
        "speaker": np.asarray([s.speaker for s in samples], dtype=str),
    }
    mod_labels = (
        np.stack([np.asarray(s.modality_labels, dtype=np.float32) for s in samples])
        if samples
        else np.zeros((0, 3), np.float32)
    )
    for k, key in enumerate(LABEL_KEYS):
        arrays[key] = mod_labels[:, k]
    mod_weights = (
        np.stack([np.asarray(s.modality_weights, dtype=np.float32) for s in samples])
        if samples
        else np.zeros((0, 3), np.float32)
    )
    if np.isfinite(mod_weights).any():
        for k, key in enumerate(WEIGHT_KEYS):
            arrays[key] = mod_weights[:, k]
    for m in MODALITIES:
        dim = spec[m].dim
        parts = []
        for s in samples:
            x = (
                np.asarray(s.features[m], dtype=np.float32).reshape(-1, dim)
                if np.size(s.features[m])
                else np.zeros((0, dim), np.float32)
            )
            parts.append(x)
        arrays[m] = np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)
        arrays[f"{m}_lengths"] = np.asarray([len(x) for x in parts], dtype=np.int64)
    out = d / f"{split}.npz"
    np.savez(out, **arrays)
    (d / SPEC_FILE).write_text(json.dumps(spec.to_dict(), indent=2))
    return out


def read_spec(directory: str | Path) -> FeatureSpec:
    path = Path(directory) / SPEC_FILE
    if not path.is_file():
        raise InputError(
            f"{path} is missing: a feature directory needs the spec.json of the extractors that made it "
            "(docs/feature-format.md)"
        )
    try:
        return FeatureSpec.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a valid feature spec ({exc})") from None


def load_feature_split(directory: str | Path, split: str) -> MSADataset:
    d = Path(directory)
    spec = read_spec(d)
    path = d / f"{split}.npz"
    if not path.is_file():
        present = sorted(p.stem for p in d.glob("*.npz"))
        raise InputError(f"{path} is missing (this feature directory has splits: {', '.join(present) or 'none'})")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable .npz feature file ({exc})") from None
    for key in ("ids", "label"):
        if key not in data:
            raise InputError(f"{path}: missing '{key}' array (docs/feature-format.md)")
    n = len(data["ids"])
    if len(data["label"]) != n:
        raise InputError(f"{path}: {len(data['label'])} labels for {n} ids")
    mod_labels = np.stack(
        [data[k].astype(np.float32) if k in data else np.full(n, np.nan, np.float32) for k in LABEL_KEYS], axis=1
    )
    mod_weights = np.stack(
        [data[k].astype(np.float32) if k in data else np.full(n, np.nan, np.float32) for k in WEIGHT_KEYS], axis=1
    )
    emotion = data["emotion"].astype(np.int64) if "emotion" in data else np.full(n, -1, np.int64)
    speaker = data["speaker"].astype(str) if "speaker" in data else np.full(n, "", dtype=str)
    per_mod: dict[str, list[np.ndarray]] = {}
    for m in MODALITIES:
        dim = spec[m].dim
        if m not in data:
            per_mod[m] = [np.zeros((0, dim), np.float32)] * n
            continue
        x = data[m].astype(np.float32)
        lengths = data.get(f"{m}_lengths")
        if lengths is None or len(lengths) != n:
            raise InputError(f"{path}: '{m}_lengths' must hold one length per sample")
        if x.ndim != 2 or x.shape[1] != dim:
            raise InputError(f"{path}: '{m}' has shape {x.shape}; the spec says (steps, {dim})")
        if int(lengths.sum()) != x.shape[0]:
            raise InputError(f"{path}: '{m}_lengths' sum to {int(lengths.sum())} but '{m}' has {x.shape[0]} steps")
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        per_mod[m] = [x[offsets[i] : offsets[i + 1]] for i in range(n)]
    samples = [
        Sample(
            id=str(data["ids"][i]),
            features={m: per_mod[m][i] for m in MODALITIES},
            label=float(data["label"][i]),
            modality_labels=mod_labels[i],
            emotion=int(emotion[i]),
            speaker=str(speaker[i]),
            modality_weights=mod_weights[i],
        )
        for i in range(n)
    ]
    return MSADataset(samples, spec, source=str(d), split=split)
