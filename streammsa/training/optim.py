"""Optimiser and learning-rate schedule of a training run (``TrainOptions``: optimizer, schedule, warm-up).

Defaults follow DLF's recipe where it has one (lr 1e-4) and common practice where it is silent:
AdamW with decoupled weight decay on weight matrices only (biases, norms and other 1-D parameters are
not decayed), a linear warm-up over the first ``warmup_epochs``, then either a constant rate
(``"none"``), halving when the validation metric has not improved for ``plateau_patience`` epochs
(``"plateau"``, floored at 1 % of the base rate), or a cosine decay to 1 % over the run
(``"cosine"``). ``optimizer="adam"`` with ``schedule="none"`` and ``warmup_epochs=0`` is the trainer
as it was before (plain Adam, one parameter group, L2 ``weight_decay``).

The schedule is a plain multiplier applied to every group's base rate before each step; its state is
a few numbers, saved with the run state so ``--resume`` continues it exactly.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("none", "plateau", "cosine")
MIN_FACTOR = 0.01  # plateau and cosine never take the rate below 1 % of the base rate


def build_optimizer(model: nn.Module, name: str, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """Adam (one group, L2 decay as before) or AdamW with decay on weight matrices only."""
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name != "adamw":
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    keep = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr)


class LRSchedule:
    """Warm-up (per step) times a schedule factor (per epoch for plateau, per step for cosine)."""

    def __init__(
        self,
        schedule: str,
        lr: float,
        steps_per_epoch: int,
        epochs: int,
        warmup_epochs: float,
        plateau_patience: int = 2,
    ) -> None:
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        self.schedule, self.lr = schedule, lr
        self.warmup_steps = int(round(warmup_epochs * steps_per_epoch))
        self.total_steps = max(1, epochs * steps_per_epoch)
        self.plateau_patience = plateau_patience
        self.step = 0
        self.plateau_factor = 1.0
        self.plateau_bad = 0

    def factor(self) -> float:
        warm = min(1.0, (self.step + 1) / self.warmup_steps) if self.warmup_steps > 0 else 1.0
        if self.schedule == "plateau":
            return warm * self.plateau_factor
        if self.schedule == "cosine":
            progress = min(1.0, self.step / self.total_steps)
            return warm * (MIN_FACTOR + (1.0 - MIN_FACTOR) * 0.5 * (1.0 + math.cos(math.pi * progress)))
        return warm

    def apply(self, optimizer: torch.optim.Optimizer) -> float:
        """Set every group's rate for the next step; returns it."""
        lr = self.lr * self.factor()
        for group in optimizer.param_groups:
            group["lr"] = lr
        return lr

    def advance(self) -> None:
        self.step += 1

    def end_epoch(self, improved: bool) -> None:
        """Plateau: halve the rate after ``plateau_patience`` epochs without a better validation value."""
        if self.schedule != "plateau":
            return
        self.plateau_bad = 0 if improved else self.plateau_bad + 1
        if self.plateau_bad >= self.plateau_patience:
            self.plateau_factor = max(MIN_FACTOR, self.plateau_factor * 0.5)
            self.plateau_bad = 0

    def state_dict(self) -> dict[str, Any]:
        return {"step": self.step, "plateau_factor": self.plateau_factor, "plateau_bad": self.plateau_bad}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.plateau_factor = float(state["plateau_factor"])
        self.plateau_bad = int(state["plateau_bad"])
