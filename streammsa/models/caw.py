"""Conflict-Aware Weighting: from per-sample conflict C_m to reconstruction weights w_m.

Two references for C (``CACRConfig.caw_reference``):

- ``"absolute"`` (the paper): w_m = max(w_min, exp(-C_m / tau)). On real features the shared vectors
  of different modalities are nearly orthogonal, C_m sits at 0.8-1.25, and with tau 0.5 every weight
  lies in [0.1, 0.3], pinned at the floor on most samples: CAW then weighs nothing.
- ``"batch"`` (project choice, default of new models): C is measured against its own spread. Per
  modality, z_m(i) = (C_m(i) - mean C_m) / std C_m over the batch's samples where C_m is defined
  (running estimates of mean and std, updated in training like BatchNorm's, stand in at inference
  and for batches with fewer than two such samples), and
      w_m(i) = min(1, max(w_min, exp(-(1 + z_m(i)) / tau)))
  so a sample one spread below the mean conflict keeps weight 1, the mean sample exp(-1/tau), and
  only the high-conflict tail reaches w_min (with tau 1: 16 % at 1, 10 % at the floor for normal C).

Warm-up (``caw_warmup`` optimisation steps, project choice): early in training the shared space is
untrained and C says nothing, so the weights go linearly from 1 to the conflict weights,
w = 1 - r (1 - w_caw) with r = min(1, step / caw_warmup). The step count and the running statistics
are buffers, saved in checkpoints and restored on --resume.
"""

from __future__ import annotations

import torch
from torch import nn

from streammsa import MODALITIES

CAW_REFERENCES = ("absolute", "batch")


def defined_conflict(present: torch.Tensor) -> torch.Tensor:
    """(B, 3) where C_m is defined: m present and at least one other modality present."""
    return present & (present.sum(dim=1, keepdim=True) > 1)


def absolute_weight(conflict: torch.Tensor, defined: torch.Tensor, tau: float, w_min: float) -> torch.Tensor:
    """The paper's w_m = max(w_min, exp(-C_m / tau)); 1 where C_m is undefined."""
    weight = torch.exp(-conflict / tau).clamp(min=w_min)
    return torch.where(defined, weight, torch.ones_like(weight))


def batch_moments(conflict: torch.Tensor, defined: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-modality mean, std (unbiased) and count of C over the samples where it is defined -> three (3,)."""
    w = defined.to(conflict.dtype)
    count = w.sum(dim=0)
    mean = (conflict * w).sum(dim=0) / count.clamp(min=1.0)
    var = ((conflict - mean).pow(2) * w).sum(dim=0) / (count - 1.0).clamp(min=1.0)
    return mean, var.sqrt(), count


class ConflictWeighting(nn.Module):
    """w_m from C_m against ``reference`` ("absolute" or "batch"), with a linear warm-up.

    The models use the plain ``absolute_weight`` function when there is neither a batch reference
    nor a warm-up, so checkpoints written before this module existed hold none of its buffers.
    """

    def __init__(
        self, reference: str, tau: float, w_min: float, warmup: int, momentum: float, eps: float = 1e-3
    ) -> None:
        super().__init__()
        if reference not in CAW_REFERENCES:
            raise ValueError(f"caw_reference must be one of {CAW_REFERENCES}, got {reference!r}")
        self.reference = reference
        self.tau, self.w_min, self.warmup, self.momentum, self.eps = tau, w_min, warmup, momentum, eps
        n = len(MODALITIES)
        # Cosine distances of unrelated vectors are about 1 with a spread of about 0.1: a neutral start.
        self.register_buffer("running_mean", torch.ones(n))
        self.register_buffer("running_std", torch.full((n,), 0.1))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def warmup_ratio(self) -> float:
        return 1.0 if self.warmup <= 0 else min(1.0, float(self.steps) / self.warmup)

    def forward(self, conflict: torch.Tensor, defined: torch.Tensor) -> torch.Tensor:
        weight = self.batch_weight(conflict, defined) if self.reference == "batch" else None
        if weight is None:
            weight = absolute_weight(conflict, defined, self.tau, self.w_min)
        if self.training:
            with torch.no_grad():
                self.steps.add_(1)
        r = self.warmup_ratio()
        if r < 1.0:
            weight = 1.0 - r * (1.0 - weight)
        return torch.where(defined, weight, torch.ones_like(weight))

    def batch_weight(self, conflict: torch.Tensor, defined: torch.Tensor) -> torch.Tensor:
        """min(1, max(w_min, exp(-(1 + z) / tau))), z standardised by the batch (training) or running moments.

        The moments are constants (detached); whether the weights carry gradient through C itself is the
        caller's choice (``detach_weights``: conflict_readout detaches C by default)."""
        c = conflict
        mean, std = self.running_mean.to(c.dtype), self.running_std.to(c.dtype)
        if self.training:
            b_mean, b_std, count = batch_moments(c.detach(), defined)
            enough = count >= 2  # a spread needs two samples; otherwise keep the running estimate
            mean = torch.where(enough, b_mean, mean)
            std = torch.where(enough, b_std, std)
            with torch.no_grad():
                first = self.steps == 0  # the first batch replaces the neutral start
                rate = torch.where(first, torch.ones_like(b_mean), torch.full_like(b_mean, self.momentum))
                upd = enough.to(b_mean.dtype) * rate
                self.running_mean.mul_(1 - upd).add_(upd * b_mean.to(self.running_mean.dtype))
                self.running_std.mul_(1 - upd).add_(upd * b_std.to(self.running_std.dtype))
        z = (c - mean) / std.clamp(min=self.eps)
        return torch.exp(-(1.0 + z) / self.tau).clamp(min=self.w_min, max=1.0)
