"""Shared building blocks: masked pooling, masked temporal projection, a compact
MulT-style transformer encoder, a cross-attention block and temporal alignment.

Conventions: sequences are (B, T, d); masks are (B, T) bool with True = valid step.
Every block returns zeros at padded steps so that nothing downstream can read padding
as evidence, and every attention is guarded so that a sample whose mask is all False
yields finite values (zeros) instead of the NaN that a fully masked softmax gives.
No block casts to a fixed dtype, so they run unchanged under CUDA autocast.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def zero_padding(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Zero the padded steps of ``x`` (B, T, d)."""
    return x * mask.unsqueeze(-1).to(x.dtype)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over valid steps: (B, T, d), (B, T) -> (B, d); zeros where a sample has no valid step."""
    weights = mask.to(x.dtype).unsqueeze(-1)
    count = weights.sum(dim=1).clamp(min=1.0)
    return (x * weights).sum(dim=1) / count


def sinusoidal_positions(length: int, dim: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(length, dim) sinusoidal position table (Vaswani et al.), as MulT adds to its inputs."""
    pos = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device, dtype=torch.float32)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return table.to(dtype)


def attention_padding_mask(mask: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Key padding mask for nn.MultiheadAttention (True = ignore) and the rows that have no valid key.

    A row with no valid key would make softmax return NaN; such rows are given all keys
    (finite garbage) and the caller zeroes their output using the returned ``empty`` flags.
    On CPU a batch without any padding gets ``None``: the masked softmax kernel costs about
    a third of a small layer, and checking the mask there needs no device sync.
    """
    empty = ~mask.any(dim=1)
    if mask.device.type == "cpu" and bool(mask.all()):
        return None, empty
    key_padding = (~mask) & ~empty.unsqueeze(1)
    return key_padding, empty


def attend(
    attn: nn.MultiheadAttention, query: torch.Tensor, kv: torch.Tensor, key_padding: torch.Tensor | None
) -> torch.Tensor:
    """``attn(query, kv, kv)`` (batch first) with the keys in ``key_padding`` (True = ignore) masked out.

    The padding goes in as the attention mask, the same numbers as ``key_padding_mask=``: that argument's shape
    check imports sympy on a process's first call, 0.5 CPU-s of the monitor's start-up (issue #12).
    """
    mask = None
    if key_padding is not None:
        (b, s), t = key_padding.shape, query.shape[1]
        mask = key_padding[:, None, None, :].expand(b, attn.num_heads, t, s).reshape(b * attn.num_heads, t, s)
    return attn(query, kv, kv, attn_mask=mask, need_weights=False)[0]


class TemporalProjection(nn.Module):
    """Conv1d along time from ``in_dim`` to ``d`` (DLF's first layer), blind to padded steps.

    Padded steps are zeroed before the convolution (so they add nothing to their valid
    neighbours) and after it (so the output padding is clean).
    """

    def __init__(self, in_dim: int, d: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_dim, d, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = zero_padding(x, mask)
        y = self.conv(x.transpose(1, 2)).transpose(1, 2)
        return zero_padding(y, mask)


class TransformerEncoder(nn.Module):
    """A compact MulT-style self-attention encoder (pre-norm layers, batch-first) with a padding mask."""

    def __init__(self, d: int, heads: int, layers: int, dropout: float, positions: bool = True) -> None:
        super().__init__()
        self.positions = positions
        self.scale = math.sqrt(d)
        # Precomputed table (not saved in checkpoints); longer inputs compute their own.
        self.register_buffer(
            "position_table", sinusoidal_positions(512, d, torch.device("cpu"), torch.float32), persistent=False
        )
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d, heads, dim_feedforward=2 * d, dropout=dropout, activation="gelu", batch_first=True, norm_first=True
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.positions:
            # MulT scales the embedding by sqrt(d) before adding positions.
            t = x.shape[1]
            table = (
                self.position_table[:t]
                if t <= self.position_table.shape[0]
                else sinusoidal_positions(t, x.shape[2], x.device, x.dtype)
            )
            x = x * self.scale + table.to(x.dtype)
        key_padding, empty = attention_padding_mask(mask)
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=key_padding)
        return zero_padding(self.norm(x), mask & ~empty.unsqueeze(1))


class CrossAttention(nn.Module):
    """Pre-norm cross-attention block: ``query`` attends to ``context`` (MulT's crossmodal layer).

    Rows whose context is entirely padding get no attention update (only the residual),
    so an absent source modality contributes nothing instead of garbage.
    """

    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(d)
        self.norm_kv = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.norm_ff = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * d, d))
        self.dropout = nn.Dropout(dropout)

    def attend(self, query: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor) -> torch.Tensor:
        """The attention read-out alone (B, Tq, d), zero for rows without any valid context step."""
        key_padding, empty = attention_padding_mask(context_mask)
        kv = self.norm_kv(context)
        out = attend(self.attn, self.norm_q(query), kv, key_padding)
        return out * (~empty).to(out.dtype).view(-1, 1, 1)

    def forward(
        self, query: torch.Tensor, query_mask: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor
    ) -> torch.Tensor:
        x = query + self.dropout(self.attend(query, context, context_mask))
        x = x + self.dropout(self.ff(self.norm_ff(x)))
        return zero_padding(x, query_mask)


def alignment_matrix(source_mask: torch.Tensor, target_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T_tgt, T_src) linear-interpolation weights mapping valid source steps onto valid target steps.

    Modalities come at different rates (text tokens, 25 Hz audio, 10 Hz face) over the
    same window, so the k-th of L_tgt valid target steps reads the source at the same
    relative position: s = (k + 0.5) * L_src / L_tgt - 0.5 in the rank space of valid
    source steps, interpolated linearly (a tent kernel over ranks). Rows of invalid
    target steps, and of samples without any valid source step, are all zero.
    """
    src_rank = source_mask.cumsum(dim=1).to(torch.float32) - 1.0  # (B, T_src)
    tgt_rank = target_mask.cumsum(dim=1).to(torch.float32) - 1.0  # (B, T_tgt)
    n_src = source_mask.sum(dim=1, keepdim=True).to(torch.float32)
    n_tgt = target_mask.sum(dim=1, keepdim=True).to(torch.float32).clamp(min=1.0)
    pos = ((tgt_rank + 0.5) * n_src / n_tgt - 0.5).clamp(min=0.0)
    pos = torch.minimum(pos, (n_src - 1.0).clamp(min=0.0))
    weights = (1.0 - (pos.unsqueeze(2) - src_rank.unsqueeze(1)).abs()).clamp(min=0.0)
    valid = target_mask.unsqueeze(2) & source_mask.unsqueeze(1)
    return (weights * valid.to(weights.dtype)).to(dtype)


def area_alignment_matrix(source_mask: torch.Tensor, target_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T_tgt, T_src) box-filter weights: the k-th of L_tgt valid target steps reads the mean of the source
    over its own span of the window, ranks [k L_src / L_tgt, (k + 1) L_src / L_tgt), each valid source step
    weighted by its overlap with that span.

    Where the target is sparser than the source (one face frame per clip against 100 audio frames, 10 Hz
    face against 25 Hz voice) a target step thus sees every source step of its span, where linear
    interpolation would read the one or two nearest and drop the rest. Rows of invalid target steps, and of
    samples without any valid source step, are all zero.
    """
    src_rank = source_mask.cumsum(dim=1).to(torch.float32) - 1.0  # (B, T_src)
    tgt_rank = target_mask.cumsum(dim=1).to(torch.float32) - 1.0  # (B, T_tgt)
    n_src = source_mask.sum(dim=1, keepdim=True).to(torch.float32)
    n_tgt = target_mask.sum(dim=1, keepdim=True).to(torch.float32).clamp(min=1.0)
    start = (tgt_rank * n_src / n_tgt).unsqueeze(2)  # (B, T_tgt, 1)
    end = ((tgt_rank + 1.0) * n_src / n_tgt).unsqueeze(2)
    lo, hi = src_rank.unsqueeze(1), src_rank.unsqueeze(1) + 1.0  # (B, 1, T_src)
    overlap = (torch.minimum(end, hi) - torch.maximum(start, lo)).clamp(min=0.0)
    valid = target_mask.unsqueeze(2) & source_mask.unsqueeze(1)
    weights = overlap * valid.to(overlap.dtype)
    return (weights / weights.sum(dim=2, keepdim=True).clamp(min=1e-12)).to(dtype)


ALIGN_MODES = ("linear", "area")


def align(
    source: torch.Tensor, source_mask: torch.Tensor, target_mask: torch.Tensor, mode: str = "linear"
) -> torch.Tensor:
    """Resample ``source`` (B, T_src, d) onto the target's valid steps -> (B, T_tgt, d) (differentiable).

    ``mode="linear"``: linear interpolation with half-pixel centres (``alignment_matrix``); without
    padding that is exactly F.interpolate, which the unpadded case takes on CPU (where checking the
    masks costs no device sync). ``mode="area"``: the mean over each target step's span
    (``area_alignment_matrix``).
    """
    if mode == "area":
        return torch.bmm(area_alignment_matrix(source_mask, target_mask, source.dtype), source)
    if source_mask.device.type == "cpu" and bool(source_mask.all()) and bool(target_mask.all()):
        out = F.interpolate(source.transpose(1, 2), size=target_mask.shape[1], mode="linear", align_corners=False)
        return out.transpose(1, 2)
    weights = alignment_matrix(source_mask, target_mask, source.dtype)
    return torch.bmm(weights, source)


def masked_conv(conv: nn.Conv1d, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Apply a time Conv1d to (B, T, c) with padded steps zeroed before and after."""
    y = conv(zero_padding(x, mask).transpose(1, 2)).transpose(1, 2)
    return zero_padding(y, mask)


def cosine_rows(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Cosine similarity along the last dimension, safe for zero vectors (gives 0)."""
    return (F.normalize(a, dim=-1, eps=eps) * F.normalize(b, dim=-1, eps=eps)).sum(dim=-1)


class MLPHead(nn.Module):
    """Two-layer regression head -> (B,)."""

    def __init__(self, in_dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
