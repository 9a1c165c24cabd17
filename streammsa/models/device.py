"""Where a model runs and in which precision: one rule for training and serving."""

from __future__ import annotations

import contextlib
from typing import Literal

import torch

from streammsa.errors import UsageError

AmpChoice = Literal["auto", "off", "fp16", "bf16"]


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``; a missing GPU is a usage error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise UsageError(f"--device {name} was asked for but no CUDA GPU is available; use --device auto or cpu")
        return torch.device(name)
    raise UsageError(f"unknown device {name!r}; use auto, cpu or cuda")


def amp_dtype(device: torch.device, amp: str = "auto") -> torch.dtype | None:
    """Mixed precision on CUDA only (``auto``: bf16 where supported, else fp16); None = full precision."""
    if device.type != "cuda" or amp == "off":
        return None
    if amp == "fp16":
        return torch.float16
    if amp == "bf16":
        return torch.bfloat16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``dtype``, or a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
