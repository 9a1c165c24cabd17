"""The decoupling stage shared by CACR and DBR, and the one conflict readout both report.

X_m = Conv1d_m(x_m)                (temporal projection to d, DLF)
H_m = E_shared(X_m)                (ONE encoder, weights shared across modalities)
P_m = E_private_m(X_m)             (one encoder per modality)
L_o = sum_m |cos(H_m, P_m)|        (soft orthogonality; per step, averaged over valid
                                    steps, then over samples where m is present)
h_m = masked_mean_t(H_m)           (pooled shared vector)
C_m = mean_{n in S_m} (1 - cos(h_m, h_n)),  S_m = other PRESENT modalities
w_m = max(w_min, exp(-C_m / tau))  (1 and C_m = 0 where m is absent or S_m is empty)

Split subspaces (``split_subspaces=True``, the default of new CACR/DBR models; project choice, the
papers are silent): with one projection X_m feeding both encoders, and residual pre-norm encoders
that mostly pass their input through, H_m and P_m start as near copies (|cos| 0.997 at
initialisation) and L_o has to undo that. A linear map in front of each encoder, initialised as the
orthogonal projections onto two complementary halves of R^d (U_s U_s^T for the shared encoder,
U_p U_p^T for every private one), makes them start apart: H_m = E_shared(W_s X_m),
P_m = E_private_m(W_p,m X_m). Both maps are trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from streammsa import MODALITIES
from streammsa.errors import UsageError
from streammsa.models.io import MSABatch
from streammsa.models.layers import TemporalProjection, TransformerEncoder, cosine_rows, masked_mean


def model_inputs(
    batch: MSABatch, dims: dict[str, int]
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], torch.Tensor]:
    """Features, step masks and presence as every model reads them.

    Masks of absent modalities are forced all-False, so ``present`` and masks always agree.
    A sequence with no step at all (a window before the first word) becomes one masked step,
    which keeps convolutions defined and is never read. A feature size other than the one
    the model was built for is a usage error, not a shape crash deep inside a layer.
    """
    feats, masks = {}, {}
    for i, m in enumerate(MODALITIES):
        x = batch.features[m]
        if x.dim() != 3 or x.shape[-1] != dims[m]:
            raise UsageError(
                f"{m} features have shape {tuple(x.shape)} but the model expects (batch, steps, {dims[m]}): "
                "extract features with the checkpoint's FeatureSpec"
            )
        mask = batch.mask[m] & batch.present[:, i : i + 1]
        if x.shape[1] == 0:
            x = x.new_zeros(x.shape[0], 1, x.shape[2])
            mask = mask.new_zeros(x.shape[0], 1)
        feats[m], masks[m] = x, mask
    present = torch.stack([masks[m].any(dim=1) for m in MODALITIES], dim=1)
    return feats, masks, present


def conflict_readout(
    pooled_shared: torch.Tensor, present: torch.Tensor, tau: float, w_min: float, detach: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample conflict C (B, 3) and reconstruction weight w (B, 3) from pooled shared vectors (B, 3, d).

    d_mn = 1 - cos(h_m, h_n); C_m = mean of d_mn over the other present modalities n.
    w_m = max(w_min, exp(-C_m / tau)). Where m is absent or no other modality is present
    the conflict is undefined: C_m = 0 and w_m = 1. ``detach`` (default) keeps the model
    from lowering its weighted reconstruction loss by inflating conflict.
    """
    h = pooled_shared.detach() if detach else pooled_shared
    unit = F.normalize(h, dim=-1, eps=1e-8)
    distance = 1.0 - torch.einsum("bmd,bnd->bmn", unit, unit)  # (B, 3, 3)
    pres = present.to(distance.dtype)
    others = pres.unsqueeze(1) * (1.0 - torch.eye(len(MODALITIES), device=h.device, dtype=distance.dtype))  # [b,m,n]
    count = others.sum(dim=2)  # other present modalities, per m
    defined = present & (count > 0)
    conflict = (distance * others).sum(dim=2) / count.clamp(min=1.0)
    conflict = torch.where(defined, conflict, torch.zeros_like(conflict))
    weight = torch.exp(-conflict / tau).clamp(min=w_min)
    weight = torch.where(defined, weight, torch.ones_like(weight))
    return conflict, weight


def orthogonality_loss(
    shared: dict[str, torch.Tensor], private: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
) -> torch.Tensor:
    """L_o = sum_m |cos(H_m, P_m)|: per-step |cosine|, mean over valid steps, mean over samples with any valid step."""
    return abs_cosine_per_modality(shared, private, masks).sum()


def abs_cosine_per_modality(
    shared: dict[str, torch.Tensor], private: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
) -> torch.Tensor:
    """(3,) mean |cos(H_m, P_m)| per modality: per step, over valid steps, over samples with any valid step."""
    terms = []
    for m in MODALITIES:
        mask = masks[m]
        abs_cos = cosine_rows(shared[m], private[m]).abs()  # (B, T)
        per_sample = masked_mean(abs_cos.unsqueeze(-1), mask).squeeze(-1)  # (B,)
        have = mask.any(dim=1).to(per_sample.dtype)
        terms.append((per_sample * have).sum() / have.sum().clamp(min=1.0))
    return torch.stack(terms)


@dataclass
class Decoupled:
    """Everything the decoupling stage produces for one batch."""

    x: dict[str, torch.Tensor]  # X_m, projected inputs (B, T_m, d)
    shared: dict[str, torch.Tensor]  # H_m
    private: dict[str, torch.Tensor]  # P_m
    masks: dict[str, torch.Tensor]  # effective step masks (absent -> all False)
    present: torch.Tensor  # (B, 3) bool

    def pooled_shared(self) -> torch.Tensor:
        """(B, 3, d) masked temporal means h_m of the shared features."""
        return torch.stack([masked_mean(self.shared[m], self.masks[m]) for m in MODALITIES], dim=1)


def complementary_projections(d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(d, d) orthogonal projections onto two complementary halves of R^d (a random orthonormal basis)."""
    basis, _ = torch.linalg.qr(torch.randn(d, d))
    shared, private = basis[:, : d // 2], basis[:, d // 2 :]
    return shared @ shared.t(), private @ private.t()


class SubspaceSplit(nn.Module):
    """W_s and W_p,m in front of the encoders, initialised to complementary projections (see module doc)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        to_shared, to_private = complementary_projections(d)
        self.to_shared = nn.Linear(d, d, bias=False)
        self.to_private = nn.ModuleDict({m: nn.Linear(d, d, bias=False) for m in MODALITIES})
        with torch.no_grad():
            self.to_shared.weight.copy_(to_shared)
            for m in MODALITIES:
                self.to_private[m].weight.copy_(to_private)


class Decoupler(nn.Module):
    """Per-modality temporal projection, one shared encoder, one private encoder per modality."""

    def __init__(
        self,
        dims: dict[str, int],
        d: int,
        heads: int,
        layers: int,
        dropout: float,
        kernel_size: int = 3,
        split_subspaces: bool = False,
    ) -> None:
        super().__init__()
        self.dims = dict(dims)
        self.project_in = nn.ModuleDict({m: TemporalProjection(dims[m], d, kernel_size) for m in MODALITIES})
        self.shared_encoder = TransformerEncoder(d, heads, layers, dropout)
        self.private_encoders = nn.ModuleDict({m: TransformerEncoder(d, heads, layers, dropout) for m in MODALITIES})
        self.split = SubspaceSplit(d) if split_subspaces else None

    def project(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {m: self.project_in[m](feats[m], masks[m]) for m in MODALITIES}

    def encode_shared(self, x: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """H_m = E_shared(X_m), the same weights for every modality.

        One call per modality rather than one call on the three sequences padded to a common
        length: on CPU the padded call pays for the slow masked-softmax kernel (measured about
        twice as slow at batch 1), and per-modality calls keep each sample's padding its own.
        """
        if self.split is not None:
            x = {m: self.split.to_shared(x[m]) for m in MODALITIES}
        return {m: self.shared_encoder(x[m], masks[m]) for m in MODALITIES}

    def encode_private(self, x: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.split is not None:
            x = {m: self.split.to_private[m](x[m]) for m in MODALITIES}
        return {m: self.private_encoders[m](x[m], masks[m]) for m in MODALITIES}

    def forward(self, batch: MSABatch) -> Decoupled:
        feats, masks, present = model_inputs(batch, self.dims)
        x = self.project(feats, masks)
        return Decoupled(
            x=x,
            shared=self.encode_shared(x, masks),
            private=self.encode_private(x, masks),
            masks=masks,
            present=present,
        )


def pool_private(
    private: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], present: torch.Tensor, absent: torch.Tensor
) -> torch.Tensor:
    """(B, 3, d) masked means of per-modality sequences; an absent modality pools to its learned ``absent`` row."""
    return torch.stack(
        [
            torch.where(present[:, i : i + 1], masked_mean(private[m], masks[m]), absent[i])
            for i, m in enumerate(MODALITIES)
        ],
        dim=1,
    )


def private_readout(
    private: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    present: torch.Tensor,
    absent_private: torch.Tensor,
    heads: nn.ModuleDict,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled private vectors (B, 3, d) and the per-modality heads' intensities (B, 3).

    An absent modality pools to its learned ``absent_private`` token (never to padded zeros) and
    reads 0; CACR and DBR share this so their unimodal readings mean the same thing.
    """
    pooled = pool_private(private, masks, present, absent_private)
    out = torch.stack([heads[m](pooled[:, i]) for i, m in enumerate(MODALITIES)], dim=1)
    return pooled, torch.where(present, out, torch.zeros_like(out))
