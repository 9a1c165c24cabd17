"""Task losses shared by every model: masked L1 on the final, shared and per-modality heads.

Per-modality (private) heads are supervised with ``batch.modality_labels`` where that
label is known (not NaN) and with the overall label otherwise, which is what DLF does
with MOSI/MOSEI (they have only overall labels; CH-SIMS has unimodal ones). A head is
never supervised on a sample where its modality is absent: there is nothing to read.

Samples are weighed by their labels' confidence where the batch carries it (``MSABatch.label_weights``:
e.g. surprise 0.5, an EmoDB clip few listeners recognised): a head by its modality's label confidence, the
final and shared heads by the mean over the present modalities. Without weights every sample counts 1.
"""

from __future__ import annotations

import torch

from streammsa import MODALITIES
from streammsa.errors import UsageError
from streammsa.models.io import ModelOutput, MSABatch


def masked_l1(
    pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Weighted mean |pred - target| over ``valid`` entries (weight 1 where none is given); an exact 0 that
    keeps the graph when none is valid."""
    w = valid.to(pred.dtype) if weight is None else valid.to(pred.dtype) * weight.to(pred.dtype)
    diff = (pred - torch.nan_to_num(target)).abs() * w
    return diff.sum() / w.sum().clamp(min=1e-6 if weight is not None else 1).to(pred.dtype)


def sample_weights(batch: MSABatch, present: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """(B,) overall and (B, 3) per-modality loss weights, or (None, None) when the batch carries none."""
    if batch.label_weights is None:
        return None, None
    per_mod = torch.nan_to_num(batch.label_weights, nan=1.0)
    on = present.to(per_mod.dtype)
    overall = (per_mod * on).sum(dim=1) / on.sum(dim=1).clamp(min=1)
    return torch.where(on.sum(dim=1) > 0, overall, torch.ones_like(overall)), per_mod


def overall_targets(batch: MSABatch) -> tuple[torch.Tensor, torch.Tensor]:
    if batch.labels is None:
        raise UsageError("this batch has no labels: compute_loss needs MSABatch.labels (overall intensity)")
    labels = batch.labels.reshape(-1)
    return labels, torch.isfinite(labels)


def private_targets(batch: MSABatch, present: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 3) per-modality targets (unimodal label where known, else overall) and where they count."""
    labels, _ = overall_targets(batch)
    target = labels.unsqueeze(1).expand(-1, len(MODALITIES))
    if batch.modality_labels is not None:
        known = torch.isfinite(batch.modality_labels)
        target = torch.where(known, batch.modality_labels, target)
    return target, present & torch.isfinite(target)


def hierarchical_task_loss(
    batch: MSABatch,
    out: ModelOutput,
    private_weights: tuple[float, float, float],
    shared_weight: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """DLF's L_msa = L1(final) + s*L1(shared) + sum_m a_m * L1(private_m); DLF uses s=1, a=(3, 1, 1) for (L, A, V)."""
    labels, labels_ok = overall_targets(batch)
    w_overall, w_mod = sample_weights(batch, out.present)
    parts = {"l1_final": masked_l1(out.intensity, labels, labels_ok, w_overall)}
    total = parts["l1_final"]
    if out.shared_intensity is not None and shared_weight:
        parts["l1_shared"] = masked_l1(out.shared_intensity, labels, labels_ok, w_overall)
        total = total + shared_weight * parts["l1_shared"]
    target, valid = private_targets(batch, out.present)
    for i, m in enumerate(MODALITIES):
        if private_weights[i]:
            w = None if w_mod is None else w_mod[:, i]
            parts[f"l1_{m}"] = masked_l1(out.modality_intensity[:, i], target[:, i], valid[:, i], w)
            total = total + private_weights[i] * parts[f"l1_{m}"]
    return total, parts


def total_loss(
    task: torch.Tensor,
    task_parts: dict[str, torch.Tensor],
    aux: dict[str, torch.Tensor],
    aux_weights: dict[str, float],
) -> tuple[torch.Tensor, dict[str, float]]:
    """total = task + sum_k lambda_k * aux_k, and every named part as a float for logging."""
    total = task
    for name, value in aux.items():
        total = total + aux_weights.get(name, 0.0) * value
    parts = {name: float(v.detach()) for name, v in task_parts.items()}
    parts["task"] = float(task.detach())
    parts.update({name: float(v.detach()) for name, v in aux.items()})
    parts["total"] = float(total.detach())
    return total, parts
