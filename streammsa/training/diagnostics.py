"""Are CACR's and DBR's mechanisms at work? Measurements on a trained model and real data (issue #11).

For a model in eval mode over a dataset (``diagnose``):

- **H_n-dependence gap** (CACR with CRM): the cross-reconstruction error l_m of every sample with the
  other modalities' shared features H_n taken from another sample of the batch (the batch rolled by
  one), minus l_m with its own H_n. About 0 means D_nm ignores H_n: the reconstruction does not align
  anything. Also the error with H_n zeroed and with P_m zeroed, the RMS of the target X_m (the error
  of predicting 0), and the **H_n share** (swapped - intact) / (RMS - intact): how much of what the
  reconstruction gets right it owes to the sample's own H_n.
- **CAW weights**: quantiles of w_m where the conflict is defined, the share at the floor w_min and
  the share at 1. Weights all at the floor (or all at 1) weigh nothing.
- **|cos(H_m, P_m)|** per modality (the soft-orthogonality term): near 1, shared and private
  features are copies of each other.
- **Head leakage**: the mean change of each per-modality head's reading when the OTHER modalities'
  inputs are replaced by another sample's; 0 for unimodal heads.
- **DBR routing entropy** (AGPR): the mean per-token entropy of the anchor routing and the entropy
  of the mean anchor use, per modality, against log K (uniform routing).

Per-batch values are kept so that the spread over batches can be reported; ``summarise`` gives mean
and std over runs (seeds, folds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from streammsa import MODALITIES
from streammsa.models.caw import defined_conflict
from streammsa.models.decoupling import abs_cosine_per_modality
from streammsa.models.io import MSABatch
from streammsa.training.dataset import MSADataset, collate

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def rolled(batch_tensors: dict[str, torch.Tensor], shift: int = 1) -> dict[str, torch.Tensor]:
    return {m: torch.roll(v, shifts=shift, dims=0) for m, v in batch_tensors.items()}


def _per_sample_l2(recon: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    from streammsa.models.cacr import per_sample_l2

    return per_sample_l2(recon, target, mask)


@torch.no_grad()
def reconstruction_errors(model: nn.Module, batch: MSABatch) -> dict[str, torch.Tensor] | None:
    """(B, 3) errors l_m for intact, swapped-H_n, zeroed-H_n and zeroed-P_m inputs, plus where they count.

    None for a model without cross-reconstruction (baselines, DBR, CACR with crm=False).
    """
    if not hasattr(model, "cross_decoders"):
        return None
    dec = model.decoupler(batch)
    masks, present = dec.masks, dec.present
    out: dict[str, list[torch.Tensor]] = {k: [] for k in ("intact", "swap_h", "zero_h", "zero_p", "rms", "ok")}
    swap_shared, swap_masks, swap_present = rolled(dec.shared), rolled(masks), torch.roll(present, 1, dims=0)
    for i, m in enumerate(MODALITIES):
        target = dec.x[m]

        def recon_of_m(shared, src_masks, src_present, private_m):
            sh = {n: (dec.shared[m] if n == m else shared[n]) for n in MODALITIES}
            mk = {n: (masks[m] if n == m else src_masks[n]) for n in MODALITIES}
            pr = src_present.clone()
            pr[:, i] = present[:, i]
            priv = {**dec.private, m: private_m}
            recon, ok = model.cross_reconstruct(sh, priv, mk, pr)
            return _per_sample_l2(recon[m], target, masks[m]), ok[:, i]

        intact, ok = recon_of_m(dec.shared, masks, present, dec.private[m])
        swap, ok_swap = recon_of_m(swap_shared, swap_masks, swap_present, dec.private[m])
        zero_h, _ = recon_of_m({n: torch.zeros_like(v) for n, v in dec.shared.items()}, masks, present, dec.private[m])
        zero_p, _ = recon_of_m(dec.shared, masks, present, torch.zeros_like(dec.private[m]))
        out["intact"].append(intact)
        out["swap_h"].append(swap)
        out["zero_h"].append(zero_h)
        out["zero_p"].append(zero_p)
        out["rms"].append(_per_sample_l2(torch.zeros_like(target), target, masks[m]))
        out["ok"].append(ok & ok_swap)
    return {k: torch.stack(v, dim=1) for k, v in out.items()}


@torch.no_grad()
def head_leakage(model: nn.Module, batch: MSABatch) -> torch.Tensor:
    """(3,) summed |change| of each per-modality head and the number of samples it was measured on -> (2, 3).

    For head m the other modalities' features, masks and presence come from the next sample.
    """
    base = model(batch).modality_intensity
    sums, counts = [], []
    for i, m in enumerate(MODALITIES):
        feats = {n: (v if n == m else torch.roll(v, 1, dims=0)) for n, v in batch.features.items()}
        masks = {n: (v if n == m else torch.roll(v, 1, dims=0)) for n, v in batch.mask.items()}
        present = torch.roll(batch.present, 1, dims=0)
        present[:, i] = batch.present[:, i]
        moved = model(MSABatch.build(feats, masks, present=present)).modality_intensity
        valid = batch.present[:, i]
        sums.append(float(((moved[:, i] - base[:, i]).abs() * valid).sum()))
        counts.append(float(valid.sum()))
    return torch.tensor([sums, counts])


@torch.no_grad()
def routing_entropy(model: nn.Module, batch: MSABatch) -> dict[str, torch.Tensor] | None:
    """DBR's AGPR: per modality, summed per-token routing entropy, token count, and summed anchor use (K,)."""
    agpr = getattr(model, "agpr", None)
    if agpr is None:
        return None
    dec = model.decoupler(batch)
    token_h, tokens, usage = [], [], []
    for i, m in enumerate(MODALITIES):
        r, _ = agpr.route(dec.private[m], i)  # (B, T, K)
        valid = dec.masks[m].to(r.dtype)
        h = -(r * r.clamp(min=1e-12).log()).sum(dim=-1)
        token_h.append((h * valid).sum())
        tokens.append(valid.sum())
        usage.append((r * valid.unsqueeze(-1)).sum(dim=(0, 1)))
    return {"token_entropy": torch.stack(token_h), "tokens": torch.stack(tokens), "usage": torch.stack(usage)}


def _entropy(p: np.ndarray) -> float:
    p = p / max(p.sum(), 1e-12)
    return float(-(p * np.log(np.clip(p, 1e-12, None))).sum())


def diagnose(model: nn.Module, dataset: MSADataset, batch_size: int = 64, device: str = "cpu") -> dict:
    """Every measurement above on ``dataset`` (model in eval mode, batches in dataset order)."""
    model = model.to(device).eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)
    rec_batches: list[dict[str, np.ndarray]] = []
    weights, cos_sum, cos_n = [], np.zeros(3), 0
    leak = torch.zeros(2, 3)
    route = None
    for batch in loader:
        batch = batch.to(device)
        with torch.no_grad():
            out = model(batch)
            if hasattr(model, "decoupler"):
                dec = model.decoupler(batch)
                cos_sum += abs_cosine_per_modality(dec.shared, dec.private, dec.masks).cpu().numpy() * batch.batch_size
                cos_n += batch.batch_size
        defined = defined_conflict(out.present)
        weights.append([out.weight[:, i][defined[:, i]].cpu().numpy() for i in range(3)])
        rec = reconstruction_errors(model, batch)
        if rec is not None:
            rec_batches.append({k: v.cpu().numpy() for k, v in rec.items()})
        leak += head_leakage(model, batch)
        r = routing_entropy(model, batch)
        if r is not None:
            route = r if route is None else {k: route[k] + r[k] for k in r}
    report: dict = {"samples": len(dataset)}
    w_min = float(getattr(getattr(model, "config", None), "w_min", 0.0))
    report["caw_weights"] = {
        m: weight_distribution(np.concatenate([w[i] for w in weights]), w_min) for i, m in enumerate(MODALITIES)
    }
    if cos_n:
        report["abs_cos_hp"] = {m: float(cos_sum[i] / cos_n) for i, m in enumerate(MODALITIES)}
    report["head_leakage"] = {
        m: float(leak[0, i] / leak[1, i]) if leak[1, i] > 0 else None for i, m in enumerate(MODALITIES)
    }
    if rec_batches:
        report["reconstruction"] = reconstruction_summary(rec_batches)
    if route is not None:
        k = int(route["usage"].shape[1])
        report["routing"] = {
            m: {
                "token_entropy": float(route["token_entropy"][i] / route["tokens"][i].clamp(min=1)),
                "usage_entropy": _entropy(route["usage"][i].cpu().numpy()),
                "uniform": math.log(k),
            }
            for i, m in enumerate(MODALITIES)
        }
    return report


def weight_distribution(w: np.ndarray, w_min: float) -> dict[str, float]:
    if w.size == 0:
        return {"n": 0}
    q = np.quantile(w, QUANTILES)
    return {
        "n": int(w.size),
        **{f"q{int(round(100 * p)):02d}": float(v) for p, v in zip(QUANTILES, q)},
        "at_floor": float(np.mean(w <= w_min + 1e-6)),
        "at_one": float(np.mean(w >= 1.0 - 1e-6)),
    }


def reconstruction_summary(batches: list[dict[str, np.ndarray]]) -> dict:
    """Per modality: mean errors over all valid samples, the H_n gap and its spread over batches."""
    out = {}
    for i, m in enumerate(MODALITIES):
        per_batch, all_rows = [], {k: [] for k in ("intact", "swap_h", "zero_h", "zero_p", "rms")}
        for b in batches:
            ok = b["ok"][:, i]
            if not ok.any():
                continue
            for k in all_rows:
                all_rows[k].append(b[k][ok, i])
            per_batch.append(float(np.mean(b["swap_h"][ok, i] - b["intact"][ok, i])))
        if not per_batch:
            continue
        means = {k: float(np.mean(np.concatenate(v))) for k, v in all_rows.items()}
        gap = means["swap_h"] - means["intact"]
        out[m] = {
            **{f"error_{k}": v for k, v in means.items()},
            "hn_gap": gap,
            "hn_gap_relative": gap / max(means["intact"], 1e-12),
            "hn_share": hn_share(means["intact"], means["swap_h"], means["rms"]),
            "hn_gap_batch_std": float(np.std(per_batch)),
            "batches": len(per_batch),
        }
    return out


def hn_share(intact: float, swapped: float, rms: float) -> float:
    """(swapped - intact) / (rms - intact): the share of the reconstruction's gain over predicting 0 that is
    lost when H_n comes from another sample. 0 = inert H_n; 1 or more = the gain is all H_n's; NaN when
    the reconstruction gains nothing."""
    gain = rms - intact
    return (swapped - intact) / gain if gain > 1e-6 else float("nan")


def flatten(report: dict, prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for k, v in report.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict):
            flat.update(flatten(v, key))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat[key] = float(v)
    return flat


def summarise(reports: Iterable[dict]) -> dict[str, tuple[float, float, int]]:
    """Mean, std and count over runs of every numeric entry (flattened keys)."""
    values: dict[str, list[float]] = {}
    for r in reports:
        for k, v in flatten(r).items():
            values.setdefault(k, []).append(v)
    return {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in values.items()}
