"""CACR: Conflict-Aware Adaptive Cross-Reconstruction (CVPR 2026), on variable-length windows.

Pipeline (names match the paper; see /work/shared/papers/cacr.md for the project's readings):
  1. decoupling        X_m -> H_m (shared encoder), P_m (private encoder m), L_o
  2. CAW               C_m = mean_{n in S_m} (1 - cos(h_m, h_n)); w_m = max(w_min, exp(-C_m / tau))
                       (or C_m against the batch's spread, caw.py)
  3. CRM               X~_nm = D_nm([H_n ; B_m P_m]) for n != m;  X~_m = F_m(X~_nm)
                       l_m(i) = ||X~_m(i) - X_m(i)||_2 over valid steps
                       L_rec = sum_m sum_i w_m(i) l_m(i) / sum_i w_m(i)
                       H~_m, P~_m = decouple(X~_m);  L_p = sum_m ||P~_m - P_m||^2
  4. FSR               P'_A, P'_V = fine-grained(P_A, P_V); P'_L = P_L + TextGuided(P_L -> [P'_A ; P'_V])
  5. fusion + heads    TP' = MultimodalTransformer(P'_L, P'_A, P'_V); TH~ = SelfAttention([H~_L ; H~_A ; H~_V])
                       y = head(Cat(TP'_L, TP'_A, TP'_V, TH~)), plus a shared head and private heads
  loss                 L = L_msa + lambda_r L_rec + lambda_o L_o + lambda_p L_p
                       L_msa = L1(final) + L1(shared) + 3 L1(text) + L1(audio) + L1(vision)

Project choices where the paper is silent (each one a config value or documented here):
  * Modalities come at different rates, so H_n is resampled onto m's valid steps over the window
    (``layers.align``, ``align_mode``) before D_nm sees [H_n ; B_m P_m].
  * F_m is linear and presence-aware: X~_m = W_m (sum_n a_mn X~_nm / sum_n a_mn) + b_m with
    learned positive weights a_mn = exp(alpha_mn), summed over the PRESENT sources n != m only,
    so an absent source is left out instead of fed in as zeros.
  * l_m(i) is the L2 error divided by sqrt(T_valid * d) (a root mean square), so windows of
    different lengths weigh the same; L_p is ||.||^2 / (T_valid * d), an MSE as in DLF's code.
    Both keep the aux terms on the scale of the L1 task loss at lambda = 0.1.
  * A sample whose target m has no other present modality cannot be cross-reconstructed: it
    is left out of L_rec and L_p and its shared branch uses H_m (and P_m) unreconstructed.
  * w is detached (``detach_weights``); the target X_m is detached too (``detach_target``; DLF does not).
  * Ablations: crm=False reconstructs X^_m = D_mm([H_m ; P_m]) (DLF), keeps the same weighted,
    normalised L_rec, adds L_sim = mean over present pairs of 1 - cos(h_m, h_n) (lambda_sim), and
    feeds H_m to the shared branch (no re-decoupling, so no L_p). gating=True replaces w_m by
    g_m = sigmoid(W_m [h_m ; p_m] + b_m), not detached, so L_rec itself trains the gate.
  * Output intensities are unbounded (L1 regression as in DLF/MMSA); the monitor clamps to
    [-3, 3]. We keep DLF/MMSA's linear output rather than 3*tanh, whose gradient vanishes at
    the +-3 labels.
  * An absent modality's pooled vector is replaced by a learned "absent" embedding before the
    final head, never by zeros; its private head reading is reported as 0 with present=False.

Making the mechanisms work (issue #11; project choices where the paper is silent, each a config
value, all on by default for new models; ``CACRConfig.LEGACY`` holds the values of the code before
them, which is what a checkpoint whose stored config lacks these keys gets, so old checkpoints
rebuild and read exactly as before). Measured on the first implementation: zeroing or swapping H_n
left the cross-reconstruction error unchanged, |cos(H, P)| was 0.997 at initialisation, and the
conflict weights sat at w_min on every text+voice window.
  * ``split_subspaces``: H and P start apart (decoupling.py: complementary projections in front of
    the shared and private encoders), so P_m does not begin as a copy of X_m.
  * ``recon_private_dim`` (bottleneck) and ``recon_private_dropout``: D_nm reads
    [H_n ; B_m P_m] with B_m a linear map to ``recon_private_dim`` channels, and in training the
    B_m P_m half is zeroed for a random ``recon_private_dropout`` share of the samples. X_m has d
    channels, so P_m can no longer carry it alone: the reconstruction must read H_n, which is the
    paper's point (reconstruction succeeds only where shared semantics agree).
  * ``detach_target``: the target X_m of L_rec is detached, so L_rec cannot be lowered by shrinking
    or simplifying the projection X_m instead of by reading H_n.
  * ``caw_reference="batch"``, ``caw_warmup``, ``caw_momentum``: conflict weights measured against
    the batch's conflict spread, after a warm-up (caw.py); tau is on that relative scale (1.0).
  * ``unimodal_heads``: the per-modality (private) heads read pooled P_m, the modality's own
    private encoder, before FSR and the joint private transformer mix the modalities; the fused
    head still reads TP'. Without it a "text reading" partly reports the voice and the face.
  * ``align_mode="area"``: H_n reaches m's steps as the mean over each step's span of the window
    (layers.area_alignment_matrix) instead of by linear interpolation, which reads only the one or
    two nearest source steps: a single face step per clip saw only the middle audio frame.
Optimisation defaults close to DLF's (AdamW, lr 1e-4, weight decay, warm-up + plateau schedule)
are the trainer's (streammsa/training/trainer.py: TrainOptions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from streammsa import MODALITIES
from streammsa.models.caw import CAW_REFERENCES, ConflictWeighting, defined_conflict
from streammsa.models.decoupling import (
    Decoupled,
    Decoupler,
    conflict_readout,
    orthogonality_loss,
    pool_private,
    private_readout,
)
from streammsa.models.io import ModelOutput, MSABatch
from streammsa.models.layers import (
    ALIGN_MODES,
    CrossAttention,
    MLPHead,
    TransformerEncoder,
    align,
    masked_conv,
    masked_mean,
    zero_padding,
)
from streammsa.models.objectives import hierarchical_task_loss, total_loss
from streammsa.models.registry import register

TEXT, AUDIO, VISION = MODALITIES


@dataclass
class CACRConfig:
    """CACR hyper-parameters and the paper's ablation switches."""

    d_model: int = 48
    heads: int = 4
    layers: int = 1  # decoupling encoders (DLF: 2)
    fusion_layers: int = 1  # multimodal private transformer and shared self-attention transformer
    dropout: float = 0.1
    kernel_size: int = 3  # temporal projection Conv1d
    decoder_kernel: int = 3  # 1-D conv decoders D_nm
    tau: float = 1.0  # CAW decay; on the batch-relative scale of caw_reference="batch" (paper, absolute: 0.5)
    w_min: float = 0.1
    detach_weights: bool = True
    crm: bool = True  # False: DLF-like self-reconstruction + shared similarity loss
    caw: bool = True  # False: all reconstruction weights 1
    gating: bool = False  # True: learned sigmoid gate per modality replaces the conflict weight
    fsr: bool = True
    lambda_r: float = 0.1
    lambda_o: float = 0.1
    lambda_p: float = 0.1
    lambda_sim: float = 0.1  # similarity loss, only with crm=False
    shared_weight: float = 1.0
    private_weights: tuple[float, float, float] = (3.0, 1.0, 1.0)  # text, audio, vision (DLF)
    # issue #11 (module docstring): what makes CRM, CAW, the subspaces and the unimodal heads do their job
    split_subspaces: bool = True  # H and P start in complementary subspaces
    recon_private_dim: int = 8  # channels of P_m that D_nm reads (bottleneck B_m); 0 = all d, no bottleneck
    recon_private_dropout: float = 0.5  # training: share of samples whose P_m half of D_nm's input is zeroed
    detach_target: bool = True  # L_rec's target X_m is detached
    caw_reference: str = "batch"  # "absolute" (paper) or "batch" (conflict relative to its spread; caw.py)
    caw_warmup: int = 200  # optimisation steps over which the weights go from 1 to the conflict weights
    caw_momentum: float = 0.1  # running conflict statistics (used at inference)
    unimodal_heads: bool = True  # private heads read pooled P_m, before FSR and the joint transformer
    align_mode: str = "area"  # H_n onto m's steps: "area" (mean over each step's span) or "linear" (interpolation)

    # What a stored config without these keys means: the code before them (registry.config_from_record).
    LEGACY: ClassVar[dict[str, Any]] = {
        "split_subspaces": False,
        "recon_private_dim": 0,
        "recon_private_dropout": 0.0,
        "detach_target": False,
        "caw_reference": "absolute",
        "caw_warmup": 0,
        "unimodal_heads": False,
        "align_mode": "linear",
    }

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")
        if self.tau <= 0 or not 0 <= self.w_min <= 1:
            raise ValueError(f"need tau > 0 and 0 <= w_min <= 1, got tau={self.tau}, w_min={self.w_min}")
        if len(self.private_weights) != len(MODALITIES):
            raise ValueError(f"private_weights needs one weight per modality {MODALITIES}")
        if self.caw_reference not in CAW_REFERENCES:
            raise ValueError(f"caw_reference must be one of {CAW_REFERENCES}, got {self.caw_reference!r}")
        if not 0.0 <= self.recon_private_dropout < 1.0:
            raise ValueError(f"recon_private_dropout must lie in [0, 1), got {self.recon_private_dropout}")
        if self.recon_private_dim < 0 or self.caw_warmup < 0:
            raise ValueError("recon_private_dim and caw_warmup must be >= 0")
        if self.align_mode not in ALIGN_MODES:
            raise ValueError(f"align_mode must be one of {ALIGN_MODES}, got {self.align_mode!r}")
        if not 0.0 < self.caw_momentum <= 1.0:
            raise ValueError(f"caw_momentum must lie in (0, 1], got {self.caw_momentum}")

    @classmethod
    def legacy(cls, **overrides: Any) -> "CACRConfig":
        """The model as it was before issue #11 (old checkpoints; the 'old' side of a comparison).

        tau takes the paper's 0.5, the value every old checkpoint stored."""
        return cls(**{"tau": 0.5, **cls.LEGACY, **overrides})


# ---------------------------------------------------------------- losses of the CRM (pure functions)


def per_sample_l2(recon: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """l(i) = ||recon(i) - target(i)||_2 / sqrt(T_valid * d): the L2 error as a root mean square
    over valid steps and channels -> (B,); 0 where no step is valid."""
    sq = (recon - target).pow(2).mean(dim=-1)  # (B, T)
    mean_sq = masked_mean(sq.unsqueeze(-1), mask).squeeze(-1)
    return torch.sqrt(mean_sq + 1e-12) * mask.any(dim=1).to(sq.dtype)


def weighted_reconstruction_loss(
    errors: torch.Tensor, weights: torch.Tensor, valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_rec = sum_m ( sum_i w_m(i) l_m(i) / sum_i w_m(i) ), over samples where m is reconstructed.

    errors, weights, valid: (B, 3). Returns the total and the per-modality terms (3,).
    Normalising by sum_i w_m(i) keeps the scale independent of the batch's average conflict.
    """
    w = weights * valid.to(weights.dtype)
    per_modality = (w * errors).sum(dim=0) / w.sum(dim=0).clamp(min=1e-8)
    return per_modality.sum(), per_modality


def private_preservation_loss(
    recon_private: dict[str, torch.Tensor],
    private: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    valid: torch.Tensor,
) -> torch.Tensor:
    """L_p = sum_m mean_i ||P~_m - P_m||^2 / (T_valid d), an MSE as in DLF's code.

    Averaged over the samples where m was reconstructed (``valid``)."""
    total = None
    for i, m in enumerate(MODALITIES):
        sq = (recon_private[m] - private[m]).pow(2).mean(dim=-1, keepdim=True)
        per_sample = masked_mean(sq, masks[m]).squeeze(-1)
        ok = valid[:, i].to(per_sample.dtype)
        term = (per_sample * ok).sum() / ok.sum().clamp(min=1.0)
        total = term if total is None else total + term
    return total


def shared_similarity_loss(pooled_shared: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """DLF-style alignment (used only with crm=False): mean over present pairs of 1 - cos(h_m, h_n)."""
    unit = F.normalize(pooled_shared, dim=-1, eps=1e-8)
    distance = 1.0 - torch.einsum("bmd,bnd->bmn", unit, unit)
    pres = present.to(distance.dtype)
    pairs = pres.unsqueeze(2) * pres.unsqueeze(1) * torch.triu(torch.ones_like(distance[0]), diagonal=1)
    count = pairs.sum(dim=(1, 2))
    per_sample = (distance * pairs).sum(dim=(1, 2)) / count.clamp(min=1.0)
    have = (count > 0).to(per_sample.dtype)
    return (per_sample * have).sum() / have.sum().clamp(min=1.0)


# ---------------------------------------------------------------- the model


@register("cacr", CACRConfig)
class CACR(nn.Module):
    def __init__(self, dims: dict[str, int], config: CACRConfig) -> None:
        super().__init__()
        self.name = "cacr"
        self.config = c = config
        d = c.d_model
        # 1. decoupling: projection, ONE shared encoder, private encoder per modality
        self.decoupler = Decoupler(dims, d, c.heads, c.layers, c.dropout, c.kernel_size, c.split_subspaces)
        # 2. CAW: the conflict -> weight map when it has state (batch reference or warm-up); else a pure function
        if c.caw_reference == "batch" or c.caw_warmup > 0:
            self.caw = ConflictWeighting(c.caw_reference, c.tau, c.w_min, c.caw_warmup, c.caw_momentum)
        # CAW alternative for the ablation: a learned gate per modality from [h_m ; p_m]
        if c.gating:
            self.gates = nn.ModuleDict({m: nn.Linear(2 * d, 1) for m in MODALITIES})
        # 3. CRM: decoders D_nm on [H_n ; B_m P_m] and presence-aware linear fusion F_m
        pad = c.decoder_kernel // 2
        if c.crm:
            private_in = c.recon_private_dim or d
            if c.recon_private_dim:
                self.private_bottleneck = nn.ModuleDict({m: nn.Linear(d, c.recon_private_dim) for m in MODALITIES})
            self.cross_decoders = nn.ModuleDict(
                {
                    f"{n}_to_{m}": nn.Conv1d(d + private_in, d, c.decoder_kernel, padding=pad)
                    for m in MODALITIES
                    for n in MODALITIES
                    if n != m
                }
            )
            self.fusion_logits = nn.Parameter(torch.zeros(len(MODALITIES), len(MODALITIES)))  # alpha_mn
            self.fusion = nn.ModuleDict({m: nn.Linear(d, d) for m in MODALITIES})
        else:
            self.self_decoders = nn.ModuleDict(
                {m: nn.Conv1d(2 * d, d, c.decoder_kernel, padding=pad) for m in MODALITIES}
            )
        # 4. FSR: fine-grained local extractors for A/V and a text-guided enhancement layer
        if c.fsr:
            self.fine_grained = nn.ModuleDict({m: nn.Conv1d(d, d, 3, padding=1) for m in (AUDIO, VISION)})
            self.text_guided = CrossAttention(d, c.heads, c.dropout)
        # 5. fusion transformers and hierarchical heads
        self.modality_embedding = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.private_transformer = TransformerEncoder(d, c.heads, c.fusion_layers, c.dropout, positions=False)
        self.shared_transformer = TransformerEncoder(d, c.heads, c.fusion_layers, c.dropout, positions=False)
        self.absent_private = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.absent_shared = nn.Parameter(torch.randn(d) * 0.02)
        self.final_head = MLPHead(4 * d, d, c.dropout)
        self.shared_head = MLPHead(d, d, c.dropout)
        self.private_heads = nn.ModuleDict({m: MLPHead(d, d, c.dropout) for m in MODALITIES})

    # -- 2. Conflict-Aware Weighting
    def reconstruction_weights(self, dec: Decoupled, pooled_shared: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(conflict, weight), both (B, 3). conflict is always the readout; weight depends on caw/gating."""
        c = self.config
        conflict, weight = conflict_readout(pooled_shared, dec.present, c.tau, c.w_min, c.detach_weights)
        if hasattr(self, "caw"):  # w_m against the batch's conflict spread, after the warm-up (caw.py)
            weight = self.caw(conflict, defined_conflict(dec.present))
        if c.gating:
            # Ablation "gating": a generic learned gate g_m = sigmoid(W_m [h_m ; p_m] + b_m), trained by L_rec.
            gates = []
            for i, m in enumerate(MODALITIES):
                hp = torch.cat([pooled_shared[:, i], masked_mean(dec.private[m], dec.masks[m])], dim=-1)
                gates.append(torch.sigmoid(self.gates[m](hp)).squeeze(-1))
            weight = torch.where(dec.present, torch.stack(gates, dim=1), torch.ones_like(weight))
        elif not c.caw:
            weight = torch.ones_like(weight)  # ablation "w/o CAW"
        return conflict, weight

    # -- 3. Cross-Reconstruction Module
    def cross_reconstruct(
        self,
        shared: dict[str, torch.Tensor],
        private: dict[str, torch.Tensor],
        masks: dict[str, torch.Tensor],
        present: torch.Tensor,
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """X~_m from P_m and the OTHER modalities' H_n only (no path through H_m).

        Returns X~ (dict of (B, T_m, d)) and ``ok`` (B, 3): m present and at least one other present.
        """
        recon, ok = {}, []
        weights_all = torch.exp(self.fusion_logits)
        for i, m in enumerate(MODALITIES):
            acc, norm = None, None
            p_m = self.decoder_private(private[m], m)  # B_m P_m, dropped for some samples in training
            for j, n in enumerate(MODALITIES):
                if n == m:
                    continue
                h_n = align(shared[n], masks[n], masks[m], self.config.align_mode)  # H_n on m's time axis
                # X~_nm = D_nm([H_n ; B_m P_m])
                x_nm = masked_conv(self.cross_decoders[f"{n}_to_{m}"], torch.cat([h_n, p_m], dim=-1), masks[m])
                a = weights_all[i, j] * present[:, j].to(x_nm.dtype)  # (B,) absent source -> weight 0
                acc = a.view(-1, 1, 1) * x_nm if acc is None else acc + a.view(-1, 1, 1) * x_nm
                norm = a if norm is None else norm + a
            mixed = acc / norm.clamp(min=1e-8).view(-1, 1, 1)
            recon[m] = zero_padding(self.fusion[m](mixed), masks[m])  # X~_m = F_m(X~_nm)
            ok.append(present[:, i] & (norm > 0))
        return recon, torch.stack(ok, dim=1)

    def decoder_private(self, private_m: torch.Tensor, m: str) -> torch.Tensor:
        """The P_m half of D_nm's input: B_m P_m (bottleneck), zeroed for a random share of samples in training."""
        c = self.config
        p = self.private_bottleneck[m](private_m) if c.recon_private_dim else private_m
        if self.training and c.recon_private_dropout > 0:
            keep = torch.rand(p.shape[0], 1, 1, device=p.device) >= c.recon_private_dropout
            p = p * keep.to(p.dtype)
        return p

    def self_reconstruct(
        self,
        shared: dict[str, torch.Tensor],
        private: dict[str, torch.Tensor],
        masks: dict[str, torch.Tensor],
        present: torch.Tensor,
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Ablation crm=False (DLF): X^_m = D_mm([H_m ; P_m])."""
        recon = {
            m: masked_conv(self.self_decoders[m], torch.cat([shared[m], private[m]], dim=-1), masks[m])
            for m in MODALITIES
        }
        return recon, present.clone()

    # -- 4. Fine-grained Sentiment Refinement
    def refine(
        self, private: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], present: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """P'_A, P'_V = P + GELU(local conv(P)); P'_L = TextGuided(query P_L, keys [P'_A ; P'_V]) (one direction)."""
        if not self.config.fsr:
            return dict(private)
        out = dict(private)
        for m in (AUDIO, VISION):
            out[m] = zero_padding(
                private[m] + F.gelu(masked_conv(self.fine_grained[m], private[m], masks[m])), masks[m]
            )
        context = torch.cat([out[AUDIO], out[VISION]], dim=1)
        context_mask = torch.cat([masks[AUDIO], masks[VISION]], dim=1)
        refined = self.text_guided(private[TEXT], masks[TEXT], context, context_mask)
        # No text, or nothing to read from: keep P_L untouched rather than inject attention garbage.
        apply = (present[:, 0] & context_mask.any(dim=1)).view(-1, 1, 1)
        out[TEXT] = torch.where(apply, refined, private[TEXT])
        return out

    # -- 5. fusion
    def _tokens(
        self, seqs: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = torch.cat([seqs[m] + self.modality_embedding[i] for i, m in enumerate(MODALITIES)], dim=1)
        return tokens, torch.cat([masks[m] for m in MODALITIES], dim=1)

    def _split(self, tokens: torch.Tensor, masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return dict(zip(MODALITIES, tokens.split([masks[m].shape[1] for m in MODALITIES], dim=1)))

    def forward(self, batch: MSABatch, with_losses: bool | None = None) -> ModelOutput:
        c = self.config
        want_losses = self.training if with_losses is None else with_losses
        # 1. decoupling: X_m = Conv1d_m(x_m); H_m = E_shared(X_m); P_m = E_private_m(X_m)
        dec = self.decoupler(batch)
        masks, present = dec.masks, dec.present
        pooled_shared = dec.pooled_shared()  # h_m = masked mean over valid steps of H_m
        # 2. CAW: C_m = mean_{n in S_m} (1 - cos(h_m, h_n)); w_m = max(w_min, exp(-C_m / tau))
        conflict, weight = self.reconstruction_weights(dec, pooled_shared)
        # 3. CRM: X~_m = F_m(D_nm([H_n ; P_m]), n != m)  (or the DLF self-reconstruction ablation)
        losses: dict[str, torch.Tensor] = {}
        if c.crm:
            recon, ok = self.cross_reconstruct(dec.shared, dec.private, masks, present)
            # re-decoupling: H~_m = E_shared(X~_m), P~_m = E_private_m(X~_m); samples without sources keep H_m
            recon_masks = {m: masks[m] & ok[:, i : i + 1] for i, m in enumerate(MODALITIES)}
            shared_r = self.decoupler.encode_shared(recon, recon_masks)
            shared_used = {
                m: torch.where(ok[:, i].view(-1, 1, 1), shared_r[m], dec.shared[m]) for i, m in enumerate(MODALITIES)
            }
            if want_losses:  # P~_m only feeds L_p, so inference skips it
                private_r = self.decoupler.encode_private(recon, recon_masks)
                losses["priv"] = private_preservation_loss(private_r, dec.private, recon_masks, ok)  # L_p
        else:
            shared_used = dec.shared  # DLF: the shared branch reads H_m directly
            if want_losses:  # the self-reconstruction only feeds L_rec
                recon, ok = self.self_reconstruct(dec.shared, dec.private, masks, present)
                losses["sim"] = shared_similarity_loss(pooled_shared, present)  # mean (1 - cos(h_m, h_n))
        if want_losses:
            # l_m(i) = ||X~_m(i) - X_m(i)||_2 (target detached with detach_target)
            targets = {m: dec.x[m].detach() if c.detach_target else dec.x[m] for m in MODALITIES}
            errors = torch.stack([per_sample_l2(recon[m], targets[m], masks[m]) for m in MODALITIES], dim=1)
            # L_rec = sum_m sum_i w_m(i) l_m(i) / sum_i w_m(i)
            losses["rec"], _ = weighted_reconstruction_loss(errors, weight, ok)
            losses["orth"] = orthogonality_loss(dec.shared, dec.private, masks)  # L_o = sum_m |cos(H_m, P_m)|
        # 4. FSR: P'_L = P_L + TextGuided(P_L -> [P'_A ; P'_V]), one direction, skipped without text
        refined = self.refine(dec.private, masks, present)
        # 5. TP'_m = MultimodalTransformer(P'); TH~ = SelfAttention(H~); y = head(Cat(TP'_L, TP'_A, TP'_V, TH~))
        tokens, token_mask = self._tokens(refined, masks)
        tp = self._split(self.private_transformer(tokens, token_mask), masks)
        pooled_private = pool_private(tp, masks, present, self.absent_private)
        # private heads: y_m = head_m(pool(P_m)) (unimodal_heads) or head_m(pool(TP'_m)) (before issue #11)
        head_input = dec.private if c.unimodal_heads else tp
        _, private_out = private_readout(head_input, masks, present, self.absent_private, self.private_heads)
        s_tokens, s_mask = self._tokens(shared_used, masks)
        th = masked_mean(self.shared_transformer(s_tokens, s_mask), s_mask)
        th = torch.where(s_mask.any(dim=1, keepdim=True), th, self.absent_shared)
        fused = torch.cat([pooled_private.flatten(1), th], dim=-1)  # M = Cat(TP'_L, TP'_A, TP'_V, TH~)
        return ModelOutput(
            intensity=self.final_head(fused),
            modality_intensity=private_out,
            conflict=conflict,
            weight=weight,
            present=present,
            shared_intensity=self.shared_head(th),
            losses=losses,
        )

    def compute_loss(self, batch: MSABatch, out: ModelOutput) -> tuple[torch.Tensor, dict[str, float]]:
        """L = L_msa + lambda_r L_rec + lambda_o L_o + lambda_p L_p (+ lambda_sim L_sim with crm=False).

        Aux terms come from ``out.losses``: run the forward in training mode or with ``with_losses=True``.
        """
        c = self.config
        task, parts = hierarchical_task_loss(batch, out, c.private_weights, c.shared_weight)
        weights = {"rec": c.lambda_r, "orth": c.lambda_o, "priv": c.lambda_p, "sim": c.lambda_sim}
        return total_loss(task, parts, out.losses, weights)
