"""Checkpoints: everything needed to rebuild a model and its feature extractors.

A checkpoint is a ``torch.save``d dict of plain values and tensors (loadable with
``weights_only=True``): weights, model name, full config, the FeatureSpec the model
was trained on (with its normalisation), feature dims, metrics, code version and the
training arguments. ``load_model`` rebuilds the model through the registry.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

import streammsa
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec

FORMAT = "streammsa-checkpoint"
FORMAT_VERSION = 1

ModelBuilder = Callable[[str, dict[str, int], dict[str, Any]], nn.Module]


def code_version() -> dict[str, str | None]:
    """streammsa version plus the git commit of the source tree, when it is a git checkout."""
    commit = None
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(streammsa.__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if proc.returncode == 0:
            commit = proc.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"streammsa": streammsa.__version__, "git_commit": commit}


def config_dict(config: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(config):
        return dataclasses.asdict(config)
    if isinstance(config, dict):
        return dict(config)
    raise TypeError(f"model config must be a dataclass, got {type(config).__name__}")


def registry_builder(name: str, dims: dict[str, int], config: dict[str, Any]) -> nn.Module:
    """Build a model by name through streammsa.models' registry; keys ``config`` lacks take their defaults."""
    from streammsa.models import registry

    cfg = registry.make_config(name, config)
    return registry.build_model(name, dims, cfg)


def record_builder(name: str, dims: dict[str, int], config: dict[str, Any]) -> nn.Module:
    """Rebuild the model a checkpoint stored, as the code that wrote it built it: keys an older checkpoint's
    config lacks keep their old behaviour (``registry.config_from_record``)."""
    from streammsa.models import registry

    return registry.build_model(name, dims, registry.config_from_record(name, config))


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    spec: FeatureSpec,
    metrics: dict[str, Any] | None = None,
    train_args: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write atomically (temp file + rename) so an interrupted run never leaves half a checkpoint."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_name": getattr(model, "name", type(model).__name__),
        "config": config_dict(getattr(model, "config", {})),
        "dims": spec.dims,
        "feature_spec": spec.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metrics": dict(metrics or {}),
        "code_version": code_version(),
        "train_args": dict(train_args or {}),
        "extra": dict(extra or {}),
    }
    return write_checkpoint_state(p, state)


def write_checkpoint_state(path: str | Path, state: dict[str, Any]) -> Path:
    """Write a checkpoint dict atomically (temp file + rename), e.g. after adding calibration or evaluation metadata."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(p)
    return p


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"checkpoint not found: {p}")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a corrupt file
        raise InputError(f"{p}: not a readable streammsa checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise InputError(f"{p}: not a streammsa checkpoint (train one with `streammsa train`)")
    if int(state.get("format_version", 0)) > FORMAT_VERSION:
        raise InputError(
            f"{p}: checkpoint format {state['format_version']} is newer than this streammsa; upgrade streammsa"
        )
    return state


def load_model(
    path: str | Path, device: str | torch.device = "cpu", builder: ModelBuilder | None = None
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model in eval mode on ``device``; meta = the checkpoint without its weights, plus a FeatureSpec."""
    state = read_checkpoint(path)
    build = builder or record_builder
    try:
        model = build(state["model_name"], dict(state["dims"]), dict(state["config"]))
        model.load_state_dict(state["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        name = state.get("model_name")
        raise InputError(f"{path}: cannot rebuild model {name!r} from this checkpoint ({exc})") from None
    model.to(device).eval()
    meta = {k: v for k, v in state.items() if k != "state_dict"}
    meta["spec"] = FeatureSpec.from_dict(state["feature_spec"])
    return model, meta


def flatten_metrics(d: dict, prefix: str = "") -> dict[str, float]:
    """Nested metrics -> {"a.b.c": value} for every number (booleans excluded); model cards print these."""
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(flatten_metrics(v, key))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key] = float(v)
    return out
