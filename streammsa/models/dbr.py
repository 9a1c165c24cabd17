"""DBR: Dual-Branch Rebalancing (arXiv 2604.25179), the project's reading of the abstract.

Only the abstract is public (see /work/shared/papers/dbr.md), so each module below is our
reading of its one-sentence description, built on the same decoupling stage as CACR:
  decoupling  X_m -> H_m (shared), P_m (private), L_o = sum_m |cos(H_m, P_m)|
  TSF         shared branch: temporal path T_m = GELU(DWConv_t(H_m)) along each modality's time,
              structural path S_m = attention across the modality tokens {H_L, H_A, H_V} at each
              step of m (a 3-node graph; other modalities resampled onto m's steps, absent ones
              masked), merged by an input-dependent gate g = sigmoid(W [H_m ; T_m ; S_m]):
              H'_m = LN(H_m + g * T_m + (1 - g) * S_m)
  AGPR        private branch: K learnable anchors A_m per modality; soft routing
              r = softmax(P_m A_m^T / sqrt(d)); P^a_m = P_m + W_r (r A_m) keeps the modality's
              prototype patterns; bounded borrowing from the other modalities' private tokens:
              P'_m = P^a_m + beta * sigmoid(W_b [P^a_m ; B_m]) * B_m, B_m = CrossAttn(P^a_m -> P_{n!=m}),
              with beta = borrow_max < 1 bounding what a modality may take from the others.
  BRF         bidirectional cross-attention shared->private and private->shared over all tokens,
              pooled; context gate c = sigmoid(W [s ; p]) mixes them: z = c * s~ + (1 - c) * p~
  heads       final head on [z ; s~ ; p~], shared head on s~, private heads on pooled P'_m;
              L = L_msa (DLF weights, as in CACR) + lambda_o L_o
The conflict readout (and its weight) is the same function CACR reports, on the same H_m, so the
monitor shows comparable conflict scores for both models. DBR has no reconstruction, so the weight
is reported but does not enter its loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from streammsa import MODALITIES
from streammsa.models.decoupling import Decoupler, conflict_readout, orthogonality_loss, private_readout
from streammsa.models.io import ModelOutput, MSABatch
from streammsa.models.layers import (
    CrossAttention,
    MLPHead,
    align,
    attention_padding_mask,
    masked_conv,
    masked_mean,
    zero_padding,
)
from streammsa.models.objectives import hierarchical_task_loss, total_loss
from streammsa.models.registry import register


@dataclass
class DBRConfig:
    d_model: int = 48
    heads: int = 4
    layers: int = 1
    dropout: float = 0.1
    kernel_size: int = 3
    temporal_kernel: int = 3  # TSF temporal path (depthwise)
    anchors: int = 4  # AGPR anchors per modality
    borrow_max: float = 0.5  # AGPR bound on cross-modal borrowing
    tau: float = 0.5  # conflict readout, as CACR
    w_min: float = 0.1
    lambda_o: float = 0.1
    shared_weight: float = 1.0
    private_weights: tuple[float, float, float] = (3.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")
        if not 0.0 <= self.borrow_max <= 1.0:
            raise ValueError(f"borrow_max must lie in [0, 1], got {self.borrow_max}")
        if self.anchors < 1:
            raise ValueError(f"anchors must be >= 1, got {self.anchors}")
        if len(self.private_weights) != len(MODALITIES):
            raise ValueError(f"private_weights needs one weight per modality {MODALITIES}")


class TemporalStructuralFactorization(nn.Module):
    """TSF: temporal path + structural path across modality tokens + input-dependent gate."""

    def __init__(self, d: int, heads: int, dropout: float, kernel: int) -> None:
        super().__init__()
        self.temporal = nn.ModuleDict({m: nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d) for m in MODALITIES})
        self.structural = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.node_embedding = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.gate = nn.Linear(3 * d, d)
        self.norm = nn.LayerNorm(d)

    def structural_path(
        self, shared: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], present: torch.Tensor, i: int
    ) -> torch.Tensor:
        """At each step of modality i: attend from its token to the 3 modality tokens at that moment."""
        m = MODALITIES[i]
        b, t, d = shared[m].shape
        nodes = torch.stack(
            [
                (shared[n] if n == m else align(shared[n], masks[n], masks[m])) + self.node_embedding[j]
                for j, n in enumerate(MODALITIES)
            ],
            dim=2,
        )  # (B, T_m, 3, d)
        nodes = nodes.reshape(b * t, len(MODALITIES), d)
        node_mask = present.unsqueeze(1).expand(b, t, -1).reshape(b * t, -1)
        key_padding, empty = attention_padding_mask(node_mask)
        out, _ = self.structural(nodes[:, i : i + 1], nodes, nodes, key_padding_mask=key_padding, need_weights=False)
        out = out * (~empty).to(out.dtype).view(-1, 1, 1)
        return zero_padding(out.reshape(b, t, d), masks[m])

    def forward(
        self, shared: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], present: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        out = {}
        for i, m in enumerate(MODALITIES):
            temporal = F.gelu(masked_conv(self.temporal[m], shared[m], masks[m]))
            structural = self.structural_path(shared, masks, present, i)
            g = torch.sigmoid(self.gate(torch.cat([shared[m], temporal, structural], dim=-1)))
            out[m] = zero_padding(self.norm(shared[m] + g * temporal + (1.0 - g) * structural), masks[m])
        return out


class AnchorGuidedPrivateRouting(nn.Module):
    """AGPR: soft routing of private tokens to learnable anchors + gated, bounded cross-modal borrowing."""

    def __init__(self, d: int, heads: int, dropout: float, anchors: int, borrow_max: float) -> None:
        super().__init__()
        self.anchors = nn.Parameter(torch.randn(len(MODALITIES), anchors, d) / math.sqrt(d))
        self.route_proj = nn.ModuleDict({m: nn.Linear(d, d) for m in MODALITIES})
        self.borrow = nn.ModuleDict({m: CrossAttention(d, heads, dropout) for m in MODALITIES})
        self.borrow_gate = nn.ModuleDict({m: nn.Linear(2 * d, d) for m in MODALITIES})
        self.borrow_max = borrow_max
        self.scale = 1.0 / math.sqrt(d)

    def route(self, private: torch.Tensor, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Routing weights r (B, T, K) and anchor read-out r A_m (B, T, d)."""
        anchors = self.anchors[i].to(private.dtype)
        r = torch.softmax(private @ anchors.t() * self.scale, dim=-1)
        return r, r @ anchors

    def forward(self, private: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        anchored = {}
        for i, m in enumerate(MODALITIES):
            _, routed = self.route(private[m], i)
            anchored[m] = zero_padding(private[m] + self.route_proj[m](routed), masks[m])
        out = {}
        for m in MODALITIES:
            others = [n for n in MODALITIES if n != m]
            context = torch.cat([private[n] for n in others], dim=1)
            context_mask = torch.cat([masks[n] for n in others], dim=1)
            borrowed = self.borrow[m].attend(anchored[m], context, context_mask)  # 0 where no other modality
            gate = torch.sigmoid(self.borrow_gate[m](torch.cat([anchored[m], borrowed], dim=-1)))
            out[m] = zero_padding(anchored[m] + self.borrow_max * gate * borrowed, masks[m])
        return out


class BidirectionalRebalancingFusion(nn.Module):
    """BRF: shared->private and private->shared cross-attention, pooled and mixed by a context gate."""

    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.shared_to_private = CrossAttention(d, heads, dropout)
        self.private_to_shared = CrossAttention(d, heads, dropout)
        self.context_gate = nn.Linear(2 * d, d)

    def forward(
        self, shared_tokens: torch.Tensor, private_tokens: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s = self.shared_to_private(shared_tokens, mask, private_tokens, mask)  # shared queries private
        p = self.private_to_shared(private_tokens, mask, shared_tokens, mask)  # private queries shared
        s_pool, p_pool = masked_mean(s, mask), masked_mean(p, mask)
        context = torch.cat([masked_mean(shared_tokens, mask), masked_mean(private_tokens, mask)], dim=-1)
        c = torch.sigmoid(self.context_gate(context))  # z = c * s~ + (1 - c) * p~
        return c * s_pool + (1.0 - c) * p_pool, s_pool, p_pool


@register("dbr", DBRConfig)
class DBR(nn.Module):
    def __init__(self, dims: dict[str, int], config: DBRConfig) -> None:
        super().__init__()
        self.name = "dbr"
        self.config = c = config
        d = c.d_model
        self.decoupler = Decoupler(dims, d, c.heads, c.layers, c.dropout, c.kernel_size)
        self.tsf = TemporalStructuralFactorization(d, c.heads, c.dropout, c.temporal_kernel)
        self.agpr = AnchorGuidedPrivateRouting(d, c.heads, c.dropout, c.anchors, c.borrow_max)
        self.brf = BidirectionalRebalancingFusion(d, c.heads, c.dropout)
        self.modality_embedding = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.absent_private = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.absent_fused = nn.Parameter(torch.randn(3 * d) * 0.02)
        self.final_head = MLPHead(3 * d, d, c.dropout)
        self.shared_head = MLPHead(d, d, c.dropout)
        self.private_heads = nn.ModuleDict({m: MLPHead(d, d, c.dropout) for m in MODALITIES})

    def forward(self, batch: MSABatch, with_losses: bool | None = None) -> ModelOutput:
        c = self.config
        want_losses = self.training if with_losses is None else with_losses
        dec = self.decoupler(batch)
        masks, present = dec.masks, dec.present
        conflict, weight = conflict_readout(dec.pooled_shared(), present, c.tau, c.w_min, detach=True)
        shared = self.tsf(dec.shared, masks, present)  # TSF on the shared branch
        private = self.agpr(dec.private, masks)  # AGPR on the private branch
        token_mask = torch.cat([masks[m] for m in MODALITIES], dim=1)
        s_tokens = torch.cat([shared[m] + self.modality_embedding[i] for i, m in enumerate(MODALITIES)], dim=1)
        p_tokens = torch.cat([private[m] + self.modality_embedding[i] for i, m in enumerate(MODALITIES)], dim=1)
        fused, s_pool, p_pool = self.brf(s_tokens, p_tokens, token_mask)
        head_in = torch.cat([fused, s_pool, p_pool], dim=-1)  # [z ; s~ ; p~]
        # a window with no modality at all reads a learned embedding, not pooled zeros
        head_in = torch.where(token_mask.any(dim=1, keepdim=True), head_in, self.absent_fused)
        s_pool = head_in[:, c.d_model : 2 * c.d_model]
        _, private_out = private_readout(private, masks, present, self.absent_private, self.private_heads)
        losses = {"orth": orthogonality_loss(dec.shared, dec.private, masks)} if want_losses else {}
        return ModelOutput(
            intensity=self.final_head(head_in),
            modality_intensity=private_out,
            conflict=conflict,
            weight=weight,
            present=present,
            shared_intensity=self.shared_head(s_pool),
            losses=losses,
        )

    def compute_loss(self, batch: MSABatch, out: ModelOutput) -> tuple[torch.Tensor, dict[str, float]]:
        """L = L_msa + lambda_o L_o."""
        c = self.config
        task, parts = hierarchical_task_loss(batch, out, c.private_weights, c.shared_weight)
        return total_loss(task, parts, out.losses, {"orth": c.lambda_o})
