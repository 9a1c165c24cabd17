"""Run a checkpoint over samples on the CPU, and read the composed dataset's windows with their composition."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.datasets.build import read_composition
from streammsa.training.dataset import Sample, collate, load_split


def load_cpu(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """The model in eval mode on the CPU, with ``$STREAMMSA_THREADS`` (default 1) torch threads."""
    import torch

    from streammsa.models.checkpoint import load_model

    torch.set_num_threads(int(os.environ.get("STREAMMSA_THREADS", "1")))
    return load_model(path, "cpu")


def run_model(model, samples: list[Sample], batch_size: int = 64) -> dict[str, np.ndarray]:
    """Forward a list of Samples; returns intensity, per-modality heads, conflict and presence."""
    import torch

    outs: dict[str, list[np.ndarray]] = {"intensity": [], "modality": [], "conflict": [], "present": []}
    with torch.inference_mode():
        for a in range(0, len(samples), batch_size):
            batch = collate(samples[a : a + batch_size])
            o = model(batch).detach_cpu()
            outs["intensity"].append(o.intensity.float().numpy())
            outs["modality"].append(o.modality_intensity.float().numpy())
            outs["conflict"].append(o.conflict.float().numpy())
            outs["present"].append(o.present.numpy())
    return {k: np.concatenate(v) for k, v in outs.items()}


def composed_windows(data: Path, split: str, spec) -> tuple[list[Sample], dict[str, dict[str, str]]]:
    """A split's windows normalised with ``spec``, and their composition rows (kind, conflict flag, ...) by id."""
    ds = load_split(data, split).with_spec(spec)
    rows = {r["id"]: r for r in read_composition(Path(data) / "composition" / f"{split}.csv")}
    return [ds[i] for i in range(len(ds))], rows


def labels_of(samples: list[Sample]) -> np.ndarray:
    """Overall labels as the dataset stores them (float32), widened to float64."""
    return np.asarray([s.label for s in samples], dtype=np.float32).astype(np.float64)


def composed_predictions(model, meta: dict[str, Any], data: Path, split: str) -> dict[str, np.ndarray]:
    """The model's outputs on a split's windows plus each window's label, conflict flag and kind
    (the inputs of ``streammsa.engine.alert_calibration``)."""
    samples, rows = composed_windows(data, split, meta["spec"])
    out = run_model(model, samples)
    out["label"] = labels_of(samples)
    out["conflict_flag"] = np.asarray([rows[s.id]["conflict"] == "1" for s in samples])
    out["kind"] = np.asarray([rows[s.id]["kind"] for s in samples])
    return out
