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
  heads       final head on [z ; s~ ; p~], shared head on s~, private heads on pooled P_m (the
              modality's own private encoder, before AGPR's borrowing: unimodal_heads)
  loss        L = L_msa (DLF weights, as in CACR) + lambda_o L_o + lambda_tsf L_tsf + lambda_route L_route
The conflict readout (and its weight) is the same function CACR reports, on the same H_m, so the
monitor shows comparable conflict scores for both models. DBR has no reconstruction, so the weight
is reported but does not enter its loss.

Objectives for the modules' stated goals (issue #11; the abstract names goals, not losses, so these
are our readings, each with its lambda, all 0 in ``DBRConfig.LEGACY``):
  TSF   "disentangles temporal evolution from structural dependencies": the two paths should carry
        different things, L_tsf = sum_m mean over valid steps |cos(T_m, S_m)|.
  AGPR  "preserves discriminative modality-specific patterns": tokens should pick anchors and the
        anchors should all be used, L_route = sum_m (mean_t H(r_t) - H(mean_t r_t)) / log K + 1, in
        [0, 2] per modality (0: every token on one anchor, anchors used evenly; 1: uniform routing).
        Without it the shipped checkpoint routes uniformly (entropy 1.38 of log 4 = 1.386); anchors
        now also start at the tokens' scale (``anchor_init``), where the routing logits have a spread
        to begin from. The borrowing is bounded by construction (borrow_max), not by a loss.
  BRF   has NO auxiliary objective: it is trained only through the final head by L_msa (and s~ by
        the shared head); "reunifies the two branches in a context-aware manner" is its
        architecture (the context gate c), not a measured goal.
Like CACR, new models also start with H and P apart (``split_subspaces``), keep unimodal private
heads (``unimodal_heads``) and bring the other modalities onto m's steps as span means
(``align_mode="area"``); checkpoints without these keys rebuild as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from streammsa import MODALITIES
from streammsa.models.decoupling import Decoupler, conflict_readout, orthogonality_loss, private_readout
from streammsa.models.io import ModelOutput, MSABatch
from streammsa.models.layers import (
    ALIGN_MODES,
    CrossAttention,
    MLPHead,
    align,
    attend,
    attention_padding_mask,
    cosine_rows,
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
    # issue #11 (module docstring)
    split_subspaces: bool = True  # H and P start in complementary subspaces (decoupling.py)
    unimodal_heads: bool = True  # private heads read pooled P_m, before AGPR borrows from other modalities
    lambda_tsf: float = 0.1  # TSF factorisation: |cos(temporal path, structural path)|
    lambda_route: float = 0.1  # AGPR routing: confident tokens, evenly used anchors
    align_mode: str = "area"  # TSF's structural path: other modalities onto m's steps ("area" or "linear")
    anchor_init: str = "token"  # AGPR anchors start at the private tokens' scale ("token") or at norm ~1 ("small")

    # What a stored config without these keys means: the code before them (registry.config_from_record).
    LEGACY: ClassVar[dict[str, Any]] = {
        "split_subspaces": False,
        "unimodal_heads": False,
        "lambda_tsf": 0.0,
        "lambda_route": 0.0,
        "align_mode": "linear",
        "anchor_init": "small",
    }

    @classmethod
    def legacy(cls, **overrides: Any) -> "DBRConfig":
        """The model as it was before issue #11 (old checkpoints; the 'old' side of a comparison)."""
        return cls(**{**cls.LEGACY, **overrides})

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")
        if not 0.0 <= self.borrow_max <= 1.0:
            raise ValueError(f"borrow_max must lie in [0, 1], got {self.borrow_max}")
        if self.align_mode not in ALIGN_MODES:
            raise ValueError(f"align_mode must be one of {ALIGN_MODES}, got {self.align_mode!r}")
        if self.anchor_init not in ("token", "small"):
            raise ValueError(f"anchor_init must be 'token' or 'small', got {self.anchor_init!r}")
        if self.anchors < 1:
            raise ValueError(f"anchors must be >= 1, got {self.anchors}")
        if len(self.private_weights) != len(MODALITIES):
            raise ValueError(f"private_weights needs one weight per modality {MODALITIES}")


class TemporalStructuralFactorization(nn.Module):
    """TSF: temporal path + structural path across modality tokens + input-dependent gate."""

    def __init__(self, d: int, heads: int, dropout: float, kernel: int, align_mode: str = "linear") -> None:
        super().__init__()
        self.align_mode = align_mode  # how the other modalities reach m's steps (layers.align)
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
                (shared[n] if n == m else align(shared[n], masks[n], masks[m], self.align_mode))
                + self.node_embedding[j]
                for j, n in enumerate(MODALITIES)
            ],
            dim=2,
        )  # (B, T_m, 3, d)
        nodes = nodes.reshape(b * t, len(MODALITIES), d)
        node_mask = present.unsqueeze(1).expand(b, t, -1).reshape(b * t, -1)
        key_padding, empty = attention_padding_mask(node_mask)
        out = attend(self.structural, nodes[:, i : i + 1], nodes, key_padding)
        out = out * (~empty).to(out.dtype).view(-1, 1, 1)
        return zero_padding(out.reshape(b, t, d), masks[m])

    def forward(
        self, shared: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], present: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """H'_m per modality, and L_tsf = sum_m mean over valid steps |cos(T_m, S_m)|."""
        out, overlap = {}, []
        for i, m in enumerate(MODALITIES):
            temporal = F.gelu(masked_conv(self.temporal[m], shared[m], masks[m]))  # T_m
            structural = self.structural_path(shared, masks, present, i)  # S_m
            g = torch.sigmoid(self.gate(torch.cat([shared[m], temporal, structural], dim=-1)))
            # H'_m = LN(H_m + g * T_m + (1 - g) * S_m)
            out[m] = zero_padding(self.norm(shared[m] + g * temporal + (1.0 - g) * structural), masks[m])
            abs_cos = cosine_rows(temporal, structural).abs().unsqueeze(-1)
            per_sample = masked_mean(abs_cos, masks[m]).squeeze(-1)
            have = masks[m].any(dim=1).to(per_sample.dtype)
            overlap.append((per_sample * have).sum() / have.sum().clamp(min=1.0))
        return out, torch.stack(overlap).sum()


class AnchorGuidedPrivateRouting(nn.Module):
    """AGPR: soft routing of private tokens to learnable anchors + gated, bounded cross-modal borrowing."""

    def __init__(
        self, d: int, heads: int, dropout: float, anchors: int, borrow_max: float, anchor_init: str = "token"
    ) -> None:
        super().__init__()
        # "token": anchors on the scale of the LayerNormed private tokens (norm ~ sqrt(d)). At the former
        # "small" scale (norm ~ 1) the routing logits spread by ~1/sqrt(d) and routing stayed uniform (issue #11).
        init = torch.randn(len(MODALITIES), anchors, d)
        self.anchors = nn.Parameter(init if anchor_init == "token" else init / math.sqrt(d))
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

    def forward(
        self, private: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """P'_m per modality, and L_route (routing_loss)."""
        anchored, route_terms = {}, []
        for i, m in enumerate(MODALITIES):
            r, routed = self.route(private[m], i)
            route_terms.append(routing_loss(r, masks[m]))
            # P^a_m = P_m + W_r (r A_m)
            anchored[m] = zero_padding(private[m] + self.route_proj[m](routed), masks[m])
        out = {}
        for m in MODALITIES:
            others = [n for n in MODALITIES if n != m]
            context = torch.cat([private[n] for n in others], dim=1)
            context_mask = torch.cat([masks[n] for n in others], dim=1)
            borrowed = self.borrow[m].attend(anchored[m], context, context_mask)  # 0 where no other modality
            gate = torch.sigmoid(self.borrow_gate[m](torch.cat([anchored[m], borrowed], dim=-1)))
            # P'_m = P^a_m + beta * sigmoid(W_b [P^a_m ; B_m]) * B_m
            out[m] = zero_padding(anchored[m] + self.borrow_max * gate * borrowed, masks[m])
        return out, torch.stack(route_terms).sum()


def routing_loss(r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(mean_t H(r_t) - H(mean_t r_t)) / log K + 1 over valid tokens: 0 for confident, evenly spread routing,
    1 for uniform routing; 0 when no token is valid (r: (B, T, K), mask: (B, T))."""
    k = r.shape[-1]
    if k < 2:
        return r.new_zeros(())
    valid = mask.to(r.dtype).unsqueeze(-1)
    n = valid.sum()
    token_entropy = -(r * r.clamp(min=1e-12).log()).sum(dim=-1, keepdim=True)
    mean_token_entropy = (token_entropy * valid).sum() / n.clamp(min=1.0)
    usage = (r * valid).sum(dim=(0, 1)) / n.clamp(min=1.0)
    usage_entropy = -(usage * usage.clamp(min=1e-12).log()).sum()
    term = (mean_token_entropy - usage_entropy) / math.log(k) + 1.0
    return torch.where(n > 0, term, torch.zeros_like(term))


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
        self.decoupler = Decoupler(dims, d, c.heads, c.layers, c.dropout, c.kernel_size, c.split_subspaces)
        self.tsf = TemporalStructuralFactorization(d, c.heads, c.dropout, c.temporal_kernel, c.align_mode)
        self.agpr = AnchorGuidedPrivateRouting(d, c.heads, c.dropout, c.anchors, c.borrow_max, c.anchor_init)
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
        shared, tsf_overlap = self.tsf(dec.shared, masks, present)  # TSF on the shared branch
        private, route = self.agpr(dec.private, masks)  # AGPR on the private branch
        token_mask = torch.cat([masks[m] for m in MODALITIES], dim=1)
        s_tokens = torch.cat([shared[m] + self.modality_embedding[i] for i, m in enumerate(MODALITIES)], dim=1)
        p_tokens = torch.cat([private[m] + self.modality_embedding[i] for i, m in enumerate(MODALITIES)], dim=1)
        fused, s_pool, p_pool = self.brf(s_tokens, p_tokens, token_mask)
        head_in = torch.cat([fused, s_pool, p_pool], dim=-1)  # [z ; s~ ; p~]
        # a window with no modality at all reads a learned embedding, not pooled zeros
        head_in = torch.where(token_mask.any(dim=1, keepdim=True), head_in, self.absent_fused)
        s_pool = head_in[:, c.d_model : 2 * c.d_model]
        # private heads: y_m = head_m(pool(P_m)) (unimodal_heads) or head_m(pool(P'_m)) (before issue #11)
        head_input = dec.private if c.unimodal_heads else private
        _, private_out = private_readout(head_input, masks, present, self.absent_private, self.private_heads)
        losses = {}
        if want_losses:
            losses["orth"] = orthogonality_loss(dec.shared, dec.private, masks)  # L_o = sum_m |cos(H_m, P_m)|
            losses["tsf"] = tsf_overlap  # L_tsf = sum_m |cos(T_m, S_m)|
            losses["route"] = route  # L_route

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
        """L = L_msa + lambda_o L_o + lambda_tsf L_tsf + lambda_route L_route."""
        c = self.config
        task, parts = hierarchical_task_loss(batch, out, c.private_weights, c.shared_weight)
        return total_loss(task, parts, out.losses, {"orth": c.lambda_o, "tsf": c.lambda_tsf, "route": c.lambda_route})
