"""Windows whose three modalities share a latent factor: the situation CACR's cross-reconstruction is for.

Each sample draws a shared latent z (k dims) and a private factor u_m per modality. Every step of
modality m reads z through a fixed random map A_m (scaled by a per-step wobble, so the sequences
are not constant), u_m through B_m, plus noise. The label is z_0. Since z is in every modality, the
shared part of X_m can be rebuilt from the other modalities' shared features H_n, and only there;
u_m can only come from P_m. A model whose reconstruction ignores H_n fails on this data.
"""

from __future__ import annotations

import torch

from streammsa import MODALITIES
from streammsa.models.io import MSABatch

DIMS = {"text": 12, "audio": 7, "vision": 5}
LENGTHS = {"text": 6, "audio": 10, "vision": 5}
LATENT, PRIVATE = 3, 2


def shared_latent_batch(n: int, seed: int) -> MSABatch:
    maps = torch.Generator().manual_seed(1234)  # the same modality maps for every batch
    a = {m: torch.randn(LATENT, DIMS[m], generator=maps) for m in MODALITIES}
    b = {m: torch.randn(PRIVATE, DIMS[m], generator=maps) for m in MODALITIES}
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, LATENT, generator=g)
    feats = {}
    for m in MODALITIES:
        u = torch.randn(n, PRIVATE, generator=g)
        wobble = 1.0 + 0.3 * torch.randn(n, LENGTHS[m], 1, generator=g)
        noise = 0.3 * torch.randn(n, LENGTHS[m], DIMS[m], generator=g)
        feats[m] = (z @ a[m]).unsqueeze(1) * wobble + (u @ b[m]).unsqueeze(1) + noise
    return MSABatch.build(feats, labels=z[:, 0].clamp(-3, 3))


def train_briefly(model: torch.nn.Module, steps: int, lr: float = 3e-3, batch_size: int = 32) -> torch.nn.Module:
    """Plain Adam on fresh shared-latent batches; returns the model in eval mode."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        batch = shared_latent_batch(batch_size, seed=1000 + step)
        loss, _ = model.compute_loss(batch, model(batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()
