"""CACR's mechanisms do their job (issue #11): each test fails on a model where the mechanism is inert.

A short training run on windows whose modalities share a latent factor (tests/support/shared_latent.py)
must leave a cross-reconstruction that needs the other modalities' H_n and conflict weights that spread
over their range; untrained models must have shared and private features that start apart, a shared
branch that reads the re-encoded H~, a one-directional FSR, and per-modality heads that read only their
own modality. Every model here is built with the registry's defaults, as `streammsa train` builds it.
"""

from __future__ import annotations

import pytest
import torch
from support.shared_latent import DIMS, shared_latent_batch, train_briefly

from streammsa import MODALITIES
from streammsa.models import MSABatch, build_model
from streammsa.models.layers import masked_mean
from streammsa.training.diagnostics import hn_share, reconstruction_errors

SMALL = {"d_model": 16, "heads": 2, "dropout": 0.0}


def default_model(name: str = "cacr", seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model(name, DIMS, SMALL)


@pytest.fixture(scope="module")
def trained_cacr() -> torch.nn.Module:
    torch.set_num_threads(1)
    return train_briefly(default_model(), steps=300)


def test_cross_reconstruction_needs_the_other_modalities_shared_features_after_training(trained_cacr):
    rec = reconstruction_errors(trained_cacr, shared_latent_batch(128, seed=7))
    for i, m in enumerate(MODALITIES):
        ok = rec["ok"][:, i]
        intact, swapped = float(rec["intact"][ok, i].mean()), float(rec["swap_h"][ok, i].mean())
        rms = float(rec["rms"][ok, i].mean())
        # H_n from another sample must hurt, and by at least half of what the reconstruction gets right
        assert swapped - intact > 0.05 * rms, (m, intact, swapped, rms)
        assert hn_share(intact, swapped, rms) > 0.5, (m, intact, swapped, rms)


def test_conflict_weights_of_a_trained_model_spread_over_their_range_at_inference(trained_cacr):
    w_min = trained_cacr.config.w_min
    with torch.no_grad():
        out = trained_cacr(shared_latent_batch(128, seed=8))
    for i, m in enumerate(MODALITIES):
        w = out.weight[:, i]
        at_floor = float((w <= w_min + 1e-6).float().mean())
        spread = float(torch.quantile(w, 0.95) - torch.quantile(w, 0.05))
        assert at_floor < 0.5, (m, at_floor)
        assert spread > 0.3 * (1.0 - w_min), (m, spread)


def test_conflict_weights_rank_samples_where_shared_vectors_are_nearly_orthogonal():
    # Real features put C_m at 0.8-1.25 (the pooled shared vectors of different modalities are nearly
    # orthogonal, as random vectors are): the weights must still spread over [w_min, 1], not sit at the floor.
    model = default_model().train()
    batch = shared_latent_batch(64, seed=8)
    with torch.no_grad():
        dec = model.decoupler(batch)
    pooled = torch.randn(64, 3, 16, generator=torch.Generator().manual_seed(0))
    w_min = model.config.w_min
    for _ in range(getattr(model.config, "caw_warmup", 0) + 1):  # training steps, past any warm-up
        conflict, weight = model.reconstruction_weights(dec, pooled)
    assert 0.8 < float(conflict.mean()) < 1.25
    for i, m in enumerate(MODALITIES):
        w = weight[:, i]
        at_floor = float((w <= w_min + 1e-6).float().mean())
        spread = float(torch.quantile(w, 0.95) - torch.quantile(w, 0.05))
        assert at_floor < 0.5 and spread > 0.3 * (1.0 - w_min), (m, at_floor, spread)


def test_shared_and_private_features_start_apart():
    model = default_model().eval()
    with torch.no_grad():
        dec = model.decoupler(shared_latent_batch(32, seed=3))
    for m in MODALITIES:
        cos = torch.nn.functional.cosine_similarity(dec.shared[m], dec.private[m], dim=-1).abs()
        assert float(cos.mean()) < 0.3, (m, float(cos.mean()))


def test_shared_branch_reads_the_reencoded_reconstruction():
    model = default_model().eval()
    batch = shared_latent_batch(8, seed=4)
    with torch.no_grad():
        out = model(batch)
        dec = model.decoupler(batch)
        recon, ok = model.cross_reconstruct(dec.shared, dec.private, dec.masks, dec.present)
        assert bool(ok.all())
        h_tilde = model.decoupler.encode_shared(recon, dec.masks)  # H~_m = E_shared(X~_m)

        def shared_head_on(shared):
            tokens, mask = model._tokens(shared, dec.masks)
            return model.shared_head(masked_mean(model.shared_transformer(tokens, mask), mask))

        torch.testing.assert_close(out.shared_intensity, shared_head_on(h_tilde))
        assert not torch.allclose(out.shared_intensity, shared_head_on(dec.shared), atol=1e-4)


def test_fsr_is_one_directional_text_reads_audio_and_vision_never_the_reverse():
    model = default_model().eval()
    batch = shared_latent_batch(4, seed=5)
    with torch.no_grad():
        dec = model.decoupler(batch)
        base = model.refine(dec.private, dec.masks, dec.present)
        other_text = {**dec.private, "text": dec.private["text"] + torch.randn_like(dec.private["text"])}
        moved = model.refine(other_text, dec.masks, dec.present)
        other_audio = {**dec.private, "audio": dec.private["audio"] + torch.randn_like(dec.private["audio"])}
        moved_by_audio = model.refine(other_audio, dec.masks, dec.present)
    for m in ("audio", "vision"):
        torch.testing.assert_close(moved[m], base[m], rtol=0, atol=0)
    assert not torch.allclose(moved_by_audio["text"], base["text"], atol=1e-4)  # text does read audio


def _with_other_modalities_replaced(batch: MSABatch, keep: str, seed: int) -> MSABatch:
    g = torch.Generator().manual_seed(seed)
    feats = {m: v if m == keep else 3.0 * torch.randn(v.shape, generator=g) for m, v in batch.features.items()}
    return MSABatch.build(feats, batch.mask, present=batch.present)


@pytest.mark.parametrize("name", ["cacr", "dbr"])
def test_per_modality_heads_are_unimodal(name):
    model = default_model(name).eval()
    batch = shared_latent_batch(6, seed=6)
    with torch.no_grad():
        base = model(batch).modality_intensity
        for i, m in enumerate(MODALITIES):
            moved = model(_with_other_modalities_replaced(batch, m, seed=i)).modality_intensity
            torch.testing.assert_close(moved[:, i], base[:, i], rtol=0, atol=1e-5)
            # ... while the head does read its own modality
            own = {**batch.features, m: batch.features[m] + torch.randn_like(batch.features[m])}
            assert not torch.allclose(model(MSABatch.build(own)).modality_intensity[:, i], base[:, i], atol=1e-4)
