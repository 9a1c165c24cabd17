"""Loader for the MMSA feature pickles (MOSI / MOSEI / CH-SIMS ``aligned_50.pkl``, ``unaligned_50.pkl`` ...).

Schema (thuiar/MMSA): a dict with splits ``train``/``valid``/``test``; each split holds
``raw_text`` (N,), ``id`` (N,), ``text`` (N, T, D) word features (GloVe or BERT
outputs) and/or ``text_bert`` (N, 3, T: token ids, attention mask, segment ids),
``audio`` (N, T_a, D_a), ``vision`` (N, T_v, D_v), ``audio_lengths``/``vision_lengths``
(unaligned files only), ``regression_labels`` (N,) and, for CH-SIMS,
``regression_labels_T/A/V``.

Masks: text from the ``text_bert`` attention row when present (else non-zero rows);
audio/vision from their lengths; aligned files (no lengths) share the text mask, as
MMSA's aligned sequences are padded at the same positions.
"""

from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from streammsa import MODALITIES
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec, ModalitySpec
from streammsa.training.dataset import SPLITS, MSADataset, Sample

# Pickles can run code when loaded; an MMSA file only needs numpy arrays, scalars and
# containers, so only the constructors those use are resolvable (numpy 1.x and 2.x names).
_ALLOWED: dict[str, frozenset[str]] = {
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "_codecs": frozenset({"encode"}),
    "builtins": frozenset(
        {"list", "dict", "tuple", "set", "frozenset", "bytearray", "bytes", "str", "int", "float", "complex", "bool"}
    ),
    "collections": frozenset({"OrderedDict"}),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name in _ALLOWED.get(module, ()) or module == "numpy.dtypes":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: an MMSA pickle holds only numpy arrays")


@lru_cache(maxsize=2)
def _read(path: str, mtime: float) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = _NumpyOnlyUnpickler(fh).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, IndexError) as exc:
        raise InputError(f"{path}: not a readable MMSA pickle ({exc})") from None
    if not isinstance(data, dict) or not any(s in data for s in SPLITS):
        raise InputError(f"{path}: not an MMSA pickle (expected a dict with train/valid/test splits)")
    return data


def _lengths_mask(lengths: np.ndarray, t: int) -> np.ndarray:
    lengths = np.clip(np.asarray(lengths, dtype=np.int64).reshape(-1), 0, t)
    return np.arange(t)[None, :] < lengths[:, None]


def _text_mask(split: dict[str, Any], text: np.ndarray | None) -> np.ndarray:
    if "text_bert" in split:
        tb = np.asarray(split["text_bert"])
        if tb.ndim != 3 or tb.shape[1] != 3:
            raise InputError(f"text_bert has shape {tb.shape}; expected (N, 3, T) token ids / mask / segments")
        mask = tb[:, 1, :] > 0
        if text is not None and mask.shape[1] != text.shape[1]:
            raise InputError(f"text_bert length {mask.shape[1]} does not match text length {text.shape[1]}")
        return mask
    return np.abs(text).sum(axis=2) > 0


def _labels(split: dict[str, Any], key: str, n: int) -> np.ndarray:
    if key not in split:
        return np.full(n, np.nan, dtype=np.float32)
    arr = np.asarray(split[key], dtype=np.float32).reshape(-1)
    if arr.shape[0] != n:
        raise InputError(f"{key} has {arr.shape[0]} entries for {n} samples")
    return arr


def _modality_arrays(split: dict[str, Any], name: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, T, D) features and (N, T) mask for one modality of one split."""
    if name == "text":
        if "text" not in split:
            raise InputError(
                "this pickle holds only BERT token ids (text_bert), no text features; "
                "use a feature directory built with the MiniLM encoder instead (docs/feature-format.md)"
            )
        x = np.asarray(split["text"], dtype=np.float32)
        if x.ndim != 3:
            raise InputError(f"text has shape {x.shape}; expected (N, T, D)")
        return x, _text_mask(split, x)
    if name not in split:
        raise InputError(f"split has no '{name}' array")
    x = np.asarray(split[name], dtype=np.float32)
    if x.ndim != 3:
        raise InputError(f"{name} has shape {x.shape}; expected (N, T, D)")
    x = np.where(np.isfinite(x), x, 0.0).astype(np.float32)  # MMSA zeroes -inf (COVAREP) the same way
    key = f"{name}_lengths"
    if key in split:
        mask = _lengths_mask(split[key], x.shape[1])
    else:
        text = split.get("text")
        same_steps = text is not None and np.asarray(text).shape[1] == x.shape[1]
        mask = _text_mask(split, np.asarray(text)) if same_steps else np.ones(x.shape[:2], bool)
    return x, mask


def precomputed_spec(dims: dict[str, int], source: str) -> FeatureSpec:
    """A spec for dataset-provided features: the live monitor cannot reproduce them, and the spec says so."""
    mods = {
        m: ModalitySpec(name=m, extractor="precomputed", dim=int(dims[m]), rate_hz=0.0, params={"source": source})
        for m in MODALITIES
    }
    return FeatureSpec(text=mods["text"], audio=mods["audio"], vision=mods["vision"])


def load_mmsa_split(path: str | Path, split: str) -> MSADataset:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"MMSA pickle not found: {p}")
    data = _read(str(p.resolve()), p.stat().st_mtime)
    if split not in data:
        raise InputError(f"{p}: no '{split}' split (has {', '.join(k for k in data if isinstance(k, str))})")
    sp = data[split]
    if not isinstance(sp, dict):
        raise InputError(f"{p}: split '{split}' is not a dict of arrays")
    try:
        arrays = {m: _modality_arrays(sp, m) for m in MODALITIES}
        if "regression_labels" not in sp:
            raise InputError("split has no regression_labels")
        n = len(np.asarray(sp["regression_labels"]).reshape(-1))
        for m, (x, mask) in arrays.items():
            if x.shape[0] != n or mask.shape != x.shape[:2]:
                raise InputError(f"{m} has {x.shape[0]} samples / mask {mask.shape} for {n} labels")
        labels = _labels(sp, "regression_labels", n)
        per_mod = np.stack([_labels(sp, f"regression_labels_{k}", n) for k in ("T", "A", "V")], axis=1)
    except InputError as exc:
        raise InputError(f"{p} [{split}]: {exc}") from None
    ids = [str(i) for i in np.asarray(sp.get("id", np.arange(n))).reshape(-1)]
    samples = []
    for i in range(n):
        feats = {m: arrays[m][0][i][arrays[m][1][i]] for m in MODALITIES}
        samples.append(Sample(id=ids[i], features=feats, label=float(labels[i]), modality_labels=per_mod[i]))
    dims = {m: arrays[m][0].shape[2] for m in MODALITIES}
    return MSADataset(samples, precomputed_spec(dims, f"mmsa:{p.name}"), source=str(p), split=split)
