"""DBR's modules as read from the abstract: same conflict readout as CACR, bounded AGPR borrowing, TSF gating."""

from __future__ import annotations

import torch

from streammsa import MODALITIES
from streammsa.models import MSABatch, build_model
from streammsa.models.decoupling import conflict_readout

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
        out = model.agpr(dec.private, dec.masks)
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
            out = model.agpr(dec.private, dec.masks)
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
