"""DBR's modules as read from the abstract: same conflict readout as CACR, bounded AGPR borrowing, TSF's gate,
BRF's two directions and context gate, and the objectives for TSF's and AGPR's stated goals."""

from __future__ import annotations

import math

import pytest
import torch
from support.shared_latent import DIMS as LATENT_DIMS
from support.shared_latent import shared_latent_batch

from streammsa import MODALITIES
from streammsa.models import MSABatch, build_model
from streammsa.models.dbr import DBRConfig, routing_loss
from streammsa.models.decoupling import conflict_readout
from streammsa.models.layers import masked_conv, masked_mean

DIMS = {"text": 12, "audio": 7, "vision": 5}


def make_batch(present=None) -> MSABatch:
    g = torch.Generator().manual_seed(1)
    feats = {m: torch.randn(3, t, DIMS[m], generator=g) for m, t in zip(MODALITIES, (6, 9, 5))}
    return MSABatch.build(feats, present=present, labels=torch.tensor([1.0, -2.0, 0.5]))


def dbr(**overrides):
    torch.manual_seed(0)
    return build_model("dbr", DIMS, {"d_model": 16, "heads": 2, "dropout": 0.0, **overrides}).eval()


def test_dbr_reports_the_same_conflict_readout_as_cacr_on_its_shared_features():
    model = dbr(tau=0.3, w_min=0.2)
    batch = make_batch(present=torch.tensor([[True, True, True], [True, False, True], [False, False, True]]))
    with torch.no_grad():
        out = model(batch)
        dec = model.decoupler(batch)
    conflict, weight = conflict_readout(dec.pooled_shared(), dec.present, tau=0.3, w_min=0.2)
    torch.testing.assert_close(out.conflict, conflict)
    torch.testing.assert_close(out.weight, weight)
    assert float(out.conflict[0].min()) > 0 and bool((out.conflict[2] == 0).all())


def _anchored_and_borrowed(model, dec, m):
    agpr = model.agpr
    i = MODALITIES.index(m)
    r, routed = agpr.route(dec.private[m], i)
    anchored = (dec.private[m] + agpr.route_proj[m](routed)) * dec.masks[m].unsqueeze(-1)
    others = [n for n in MODALITIES if n != m]
    context = torch.cat([dec.private[n] for n in others], dim=1)
    context_mask = torch.cat([dec.masks[n] for n in others], dim=1)
    return r, anchored, agpr.borrow[m].attend(anchored, context, context_mask)


def test_agpr_routes_softly_to_anchors_and_borrows_at_most_borrow_max_of_the_cross_modal_readout():
    model = dbr(borrow_max=0.5, anchors=3)
    batch = make_batch()
    with torch.no_grad():
        dec = model.decoupler(batch)
        out, _ = model.agpr(dec.private, dec.masks)
        for m in MODALITIES:
            r, anchored, borrowed = _anchored_and_borrowed(model, dec, m)
            assert r.shape == (3, dec.private[m].shape[1], 3)
            torch.testing.assert_close(r.sum(-1), torch.ones_like(r[..., 0]))
            step = (out[m] - anchored).abs()
            assert bool((step <= 0.5 * borrowed.abs() + 1e-6).all())
            assert float(step.sum()) > 0


def test_agpr_borrows_nothing_with_borrow_max_0_or_without_other_modalities():
    batch = make_batch(present=torch.tensor([[True, True, True], [True, False, False], [True, True, True]]))
    for borrow_max, rows in ((0.0, [0, 1, 2]), (0.5, [1])):
        model = dbr(borrow_max=borrow_max)
        with torch.no_grad():
            dec = model.decoupler(batch)
            out, _ = model.agpr(dec.private, dec.masks)
            _, anchored, _ = _anchored_and_borrowed(model, dec, "text")
        torch.testing.assert_close(out["text"][rows], anchored[rows])


def test_tsf_structural_path_reads_only_present_modalities():
    model = dbr()
    present = torch.tensor([[True, True, False], [True, True, True], [True, True, True]])
    batch = make_batch(present=present)
    with torch.no_grad():
        dec = model.decoupler(batch)
        shared = dict(dec.shared)
        base = model.tsf.structural_path(shared, dec.masks, dec.present, 0)
        shared["vision"] = shared["vision"] + 100.0  # vision absent in sample 0 only
        moved = model.tsf.structural_path(shared, dec.masks, dec.present, 0)
    torch.testing.assert_close(moved[0], base[0])
    assert not torch.allclose(moved[1], base[1])


def test_tsf_gate_mixes_the_temporal_and_structural_paths_per_step_and_channel():
    model = dbr()
    batch = make_batch(present=torch.tensor([[True, True, True], [True, False, True], [True, True, True]]))
    tsf = model.tsf
    with torch.no_grad():
        dec = model.decoupler(batch)
        out, _ = tsf(dec.shared, dec.masks, dec.present)
        for i, m in enumerate(MODALITIES):
            h, mask = dec.shared[m], dec.masks[m]
            temporal = torch.nn.functional.gelu(masked_conv(tsf.temporal[m], h, mask))
            structural = tsf.structural_path(dec.shared, dec.masks, dec.present, i)
            g = torch.sigmoid(tsf.gate(torch.cat([h, temporal, structural], dim=-1)))
            expected = tsf.norm(h + g * temporal + (1 - g) * structural) * mask.unsqueeze(-1)
            torch.testing.assert_close(out[m], expected)
            valid = g[mask]  # (steps, d): an input-dependent gate strictly inside (0, 1), not a constant
            assert bool(((valid > 0) & (valid < 1)).all())
            assert float(valid.std(dim=0).mean()) > 1e-3


def test_brf_is_the_context_gated_mix_of_shared_reading_private_and_private_reading_shared():
    model = dbr()
    brf = model.brf
    g = torch.Generator().manual_seed(3)
    s_tok, p_tok = torch.randn(2, 7, 16, generator=g), torch.randn(2, 7, 16, generator=g)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 5:] = False
    with torch.no_grad():
        z, s_pool, p_pool = brf(s_tok, p_tok, mask)
        s = masked_mean(brf.shared_to_private(s_tok, mask, p_tok, mask), mask)
        p = masked_mean(brf.private_to_shared(p_tok, mask, s_tok, mask), mask)
        c = torch.sigmoid(brf.context_gate(torch.cat([masked_mean(s_tok, mask), masked_mean(p_tok, mask)], dim=-1)))
        torch.testing.assert_close(s_pool, s)
        torch.testing.assert_close(p_pool, p)
        torch.testing.assert_close(z, c * s + (1 - c) * p)
        assert bool(((c > 0) & (c < 1)).all()) and not torch.allclose(c[0], c[1])
        # the two directions: s~ reads the private tokens, p~ reads the shared tokens
        _, s_moved, p_same = brf(s_tok, p_tok + torch.randn_like(p_tok), mask)
        assert not torch.allclose(s_moved, s_pool, atol=1e-4)
        _, s_same, p_moved = brf(s_tok + torch.randn_like(s_tok), p_tok, mask)
        assert not torch.allclose(p_moved, p_pool, atol=1e-4)


def test_routing_loss_is_0_for_confident_evenly_used_anchors_and_1_for_uniform_routing():
    mask = torch.ones(1, 4, dtype=torch.bool)
    confident = torch.eye(4).unsqueeze(0)  # token t on anchor t
    uniform = torch.full((1, 4, 4), 0.25)
    collapsed = torch.zeros(1, 4, 4)
    collapsed[..., 0] = 1.0  # every token on one anchor: confident but not evenly used
    assert float(routing_loss(confident, mask)) == pytest.approx(0.0, abs=1e-6)
    assert float(routing_loss(uniform, mask)) == pytest.approx(1.0, abs=1e-6)
    assert float(routing_loss(collapsed, mask)) == pytest.approx(1.0, abs=1e-6)
    assert float(routing_loss(uniform, torch.zeros(1, 4, dtype=torch.bool))) == 0.0


def test_dbr_loss_has_a_term_for_tsf_and_agpr_with_their_weights_and_none_in_the_legacy_config():
    batch = make_batch()
    model = dbr(lambda_tsf=0.2, lambda_route=0.3)
    out = model(batch, with_losses=True)
    total, parts = model.compute_loss(batch, out)
    assert set(out.losses) == {"orth", "tsf", "route"}
    expected = parts["task"] + 0.1 * parts["orth"] + 0.2 * parts["tsf"] + 0.3 * parts["route"]
    assert float(total.detach()) == pytest.approx(expected, rel=1e-5)
    legacy = DBRConfig.legacy()
    assert (legacy.lambda_tsf, legacy.lambda_route, legacy.unimodal_heads) == (0.0, 0.0, False)


def _mean_token_routing_entropy(model, batch) -> float:
    with torch.no_grad():
        dec = model.decoupler(batch)
        entropies = []
        for i, m in enumerate(MODALITIES):
            r, _ = model.agpr.route(dec.private[m], i)
            entropies.append(float(-(r * r.clamp(min=1e-12).log()).sum(-1).mean()))
    return sum(entropies) / len(entropies)


def test_agpr_routing_leaves_uniform_after_a_short_training_run():
    torch.manual_seed(0)
    model = build_model("dbr", LATENT_DIMS, {"d_model": 16, "heads": 2, "dropout": 0.0})
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(60):
        batch = shared_latent_batch(32, seed=1000 + step)
        loss, _ = model.compute_loss(batch, model.train()(batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
    entropy = _mean_token_routing_entropy(model.eval(), shared_latent_batch(64, seed=9))
    uniform = math.log(model.config.anchors)
    assert entropy < 0.7 * uniform, (entropy, uniform)
