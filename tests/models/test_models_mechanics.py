"""The paper's mechanics on small tensors with hand-computed answers (CACR decoupling, CAW, CRM, losses)."""

from __future__ import annotations

import math

import pytest
import torch

from streammsa import MODALITIES
from streammsa.models import MSABatch, build_model
from streammsa.models.cacr import (
    per_sample_l2,
    private_preservation_loss,
    shared_similarity_loss,
    weighted_reconstruction_loss,
)
from streammsa.models.decoupling import conflict_readout, orthogonality_loss
from streammsa.models.layers import align, masked_mean

TEXT, AUDIO, VISION = range(3)
DIMS = {"text": 12, "audio": 7, "vision": 5}
SMALL = {"d_model": 16, "heads": 2, "dropout": 0.0}


def make_batch(lengths=(6, 9, 5), batch=3, seed=0, present=None, labels=True) -> MSABatch:
    g = torch.Generator().manual_seed(seed)
    feats = {m: torch.randn(batch, t, DIMS[m], generator=g) for m, t in zip(MODALITIES, lengths)}
    lab = torch.empty(batch).uniform_(-3, 3, generator=g) if labels else None
    return MSABatch.build(feats, present=present, labels=lab)


def cacr(**overrides):
    torch.manual_seed(0)
    return build_model("cacr", DIMS, {**SMALL, **overrides})


# ---------------------------------------------------------------- CAW: conflict and weight


def test_conflict_is_mean_cosine_distance_to_other_present_modalities():
    # h_L = (1, 0), h_A = (0, 1), h_V = (1, 1): d_LA = 1, d_LV = d_AV = 1 - 1/sqrt(2)
    h = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    d = 1.0 - 1.0 / math.sqrt(2.0)
    conflict, weight = conflict_readout(h, torch.ones(1, 3, dtype=torch.bool), tau=0.5, w_min=0.1)
    expected = torch.tensor([[(1.0 + d) / 2, (1.0 + d) / 2, d]])
    torch.testing.assert_close(conflict, expected)
    torch.testing.assert_close(weight, torch.exp(-expected / 0.5))


def test_absent_modality_is_left_out_of_the_others_conflict_and_gets_conflict_0_weight_1():
    h = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]] * 2)
    present = torch.tensor([[True, True, False], [True, False, False]])
    conflict, weight = conflict_readout(h, present, tau=0.5, w_min=0.1)
    # sample 0: L and A only see each other (distance 1); V absent.
    torch.testing.assert_close(conflict[0], torch.tensor([1.0, 1.0, 0.0]))
    torch.testing.assert_close(weight[0], torch.tensor([math.exp(-2.0), math.exp(-2.0), 1.0]))
    # sample 1: one modality present -> conflict undefined everywhere.
    torch.testing.assert_close(conflict[1], torch.zeros(3))
    torch.testing.assert_close(weight[1], torch.ones(3))


def test_weight_is_one_at_zero_conflict_decays_with_conflict_and_never_drops_below_w_min():
    base = torch.tensor([1.0, 0.0])
    angles = torch.linspace(0.0, math.pi, 13)  # other modalities rotate from identical to opposite
    weights, conflicts = [], []
    for a in angles:
        other = torch.stack([torch.cos(a), torch.sin(a)])
        h = torch.stack([base, other, other]).unsqueeze(0)
        c, w = conflict_readout(h, torch.ones(1, 3, dtype=torch.bool), tau=0.5, w_min=0.1)
        conflicts.append(float(c[0, 0]))
        weights.append(float(w[0, 0]))
    assert conflicts[0] == pytest.approx(0.0, abs=1e-6) and weights[0] == pytest.approx(1.0)
    assert all(b >= a for a, b in zip(conflicts, conflicts[1:]))
    assert all(b <= a for a, b in zip(weights, weights[1:]))
    assert conflicts[-1] == pytest.approx(2.0)
    assert min(weights) == pytest.approx(0.1)  # exp(-2 / 0.5) = 0.018 is floored
    assert all(w >= 0.1 - 1e-7 for w in weights)


def test_weight_is_detached_by_default_and_differentiable_when_asked():
    h = torch.randn(2, 3, 4, requires_grad=True)
    present = torch.ones(2, 3, dtype=torch.bool)
    _, w = conflict_readout(h, present, tau=0.5, w_min=0.0, detach=True)
    assert not w.requires_grad
    _, w = conflict_readout(h, present, tau=0.5, w_min=0.0, detach=False)
    w.sum().backward()
    assert h.grad is not None and h.grad.abs().sum() > 0


# ---------------------------------------------------------------- losses by hand


def test_weighted_reconstruction_loss_is_normalised_per_modality_over_the_batch():
    errors = torch.tensor([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]])
    weights = torch.tensor([[1.0, 0.5, 1.0], [0.5, 0.5, 0.1]])
    valid = torch.ones(2, 3, dtype=torch.bool)
    total, per_m = weighted_reconstruction_loss(errors, weights, valid)
    expected = torch.tensor([(1 * 1 + 0.5 * 3) / 1.5, (0.5 * 2 + 0.5 * 4) / 1.0, (1 * 3 + 0.1 * 5) / 1.1])
    torch.testing.assert_close(per_m, expected)
    assert float(total) == pytest.approx(float(expected.sum()))
    # a sample that cannot be reconstructed drops out of its modality's sum and normaliser
    valid[1, 2] = False
    _, per_m = weighted_reconstruction_loss(errors, weights, valid)
    assert float(per_m[2]) == pytest.approx(3.0)
    # a modality with no valid sample contributes exactly 0
    valid[:, 1] = False
    _, per_m = weighted_reconstruction_loss(errors, weights, valid)
    assert float(per_m[1]) == 0.0


def test_per_sample_l2_error_is_root_mean_square_over_valid_steps_only():
    target = torch.zeros(1, 3, 2)
    recon = torch.tensor([[[3.0, 4.0], [0.0, 0.0], [100.0, 100.0]]])  # last step is padding
    mask = torch.tensor([[True, True, False]])
    # ||diff||^2 over valid steps = 25, over T_valid * d = 4 entries -> sqrt(25 / 4) = 2.5
    assert float(per_sample_l2(recon, target, mask)[0]) == pytest.approx(2.5)
    assert float(per_sample_l2(recon, target, torch.zeros(1, 3, dtype=torch.bool))[0]) == 0.0


def test_orthogonality_loss_is_sum_over_modalities_of_mean_abs_cosine_over_valid_steps():
    h = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]])
    p = torch.tensor([[[-2.0, 0.0], [0.0, 3.0], [5.0, 0.0]], [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]])
    # sample 0: |cos| = 1, 0 on valid steps (third is padding) -> 0.5; sample 1 has no valid step
    mask = torch.tensor([[True, True, False], [False, False, False]])
    shared = {m: h for m in MODALITIES}
    private = {m: p for m in MODALITIES}
    masks = {m: mask for m in MODALITIES}
    assert float(orthogonality_loss(shared, private, masks)) == pytest.approx(3 * 0.5)


def test_private_preservation_loss_is_mse_over_valid_steps_of_reconstructed_samples():
    p = torch.zeros(2, 2, 2)
    p_rec = torch.tensor([[[1.0, 1.0], [3.0, 3.0]], [[7.0, 7.0], [7.0, 7.0]]])
    mask = torch.tensor([[True, False], [True, True]])
    valid = torch.tensor([[True, True, True], [False, False, False]])  # sample 1 not reconstructed
    loss = private_preservation_loss(
        {m: p_rec for m in MODALITIES}, {m: p for m in MODALITIES}, {m: mask for m in MODALITIES}, valid
    )
    assert float(loss) == pytest.approx(3 * 1.0)


def test_shared_similarity_loss_averages_one_minus_cosine_over_present_pairs():
    h = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    present = torch.tensor([[True, True, True]])
    # pairs LA: 1, LV: 0, AV: 1 -> 2/3
    assert float(shared_similarity_loss(h, present)) == pytest.approx(2.0 / 3.0)
    present = torch.tensor([[True, False, True]])
    assert float(shared_similarity_loss(h, present)) == pytest.approx(0.0, abs=1e-7)


def test_align_resamples_valid_source_steps_onto_the_targets_time_axis():
    src = torch.tensor([[[0.0], [1.0], [99.0]]])
    src_mask = torch.tensor([[True, True, False]])
    tgt_mask = torch.tensor([[True, True, True, True, False]])
    out = align(src, src_mask, tgt_mask)[0, :, 0]
    torch.testing.assert_close(out, torch.tensor([0.0, 0.25, 0.75, 1.0, 0.0]))


def test_area_align_gives_each_target_step_the_mean_of_its_span_of_valid_source_steps():
    src = torch.tensor([[[0.0], [1.0], [2.0], [3.0], [99.0]]])
    src_mask = torch.tensor([[True, True, True, True, False]])  # the 99 is padding
    two = align(src, src_mask, torch.tensor([[True, True, False]]), mode="area")[0, :, 0]
    torch.testing.assert_close(two, torch.tensor([0.5, 2.5, 0.0]))
    one = align(src, src_mask, torch.tensor([[True]]), mode="area")[0, :, 0]  # one face step per clip
    torch.testing.assert_close(one, torch.tensor([1.5]))  # the whole clip, not its middle frame
    three = align(src, src_mask, torch.tensor([[True, True, True]]), mode="area")[0, :, 0]
    # spans [0, 4/3), [4/3, 8/3), [8/3, 4): each source step weighted by its overlap
    expected = torch.tensor([(0 * 1 + 1 / 3) / (4 / 3), (2 / 3 + 2 * 2 / 3) / (4 / 3), (2 / 3 + 3 * 1) / (4 / 3)])
    torch.testing.assert_close(three, expected)


def test_align_without_padding_matches_the_general_masked_interpolation():
    from streammsa.models.layers import alignment_matrix

    src = torch.randn(2, 7, 3)
    src_mask, tgt_mask = torch.ones(2, 7, dtype=torch.bool), torch.ones(2, 11, dtype=torch.bool)
    general = torch.bmm(alignment_matrix(src_mask, tgt_mask, src.dtype), src)
    torch.testing.assert_close(align(src, src_mask, tgt_mask), general)


# ---------------------------------------------------------------- CRM gradient paths


def test_cross_reconstruction_of_m_gets_no_gradient_through_h_m_only_through_other_h_n_and_p_m():
    model = cacr()
    batch = make_batch()
    dec = model.decoupler(batch)
    shared = {m: dec.shared[m].detach().requires_grad_() for m in MODALITIES}
    private = {m: dec.private[m].detach().requires_grad_() for m in MODALITIES}
    recon, ok = model.cross_reconstruct(shared, private, dec.masks, dec.present)
    assert bool(ok.all())
    for i, m in enumerate(MODALITIES):
        target_loss = per_sample_l2(recon[m], dec.x[m].detach(), dec.masks[m]).sum()
        others = [n for n in MODALITIES if n != m]
        grads = torch.autograd.grad(
            target_loss,
            [shared[m], private[m]] + [shared[n] for n in others] + [private[n] for n in others],
            allow_unused=True,
        )
        assert grads[0] is None or float(grads[0].abs().sum()) == 0.0, f"L_rec of {m} reached H_{m}"
        assert grads[1] is not None and float(grads[1].abs().sum()) > 0, f"P_{m} must feed its reconstruction"
        for n, g in zip(others, grads[2:4]):
            assert g is not None and float(g.abs().sum()) > 0, f"H_{n} must feed the reconstruction of {m}"
        for g in grads[4:]:
            assert g is None or float(g.abs().sum()) == 0.0, "other modalities' private features must not leak"


def test_self_reconstruction_ablation_does_read_h_m():
    model = cacr(crm=False)
    batch = make_batch()
    dec = model.decoupler(batch)
    shared = {m: dec.shared[m].detach().requires_grad_() for m in MODALITIES}
    recon, _ = model.self_reconstruct(shared, dec.private, dec.masks, dec.present)
    g = torch.autograd.grad(recon["text"].pow(2).sum(), shared["text"])[0]
    assert float(g.abs().sum()) > 0


def test_model_rec_loss_equals_weighted_cross_reconstruction_loss_by_hand():
    model = cacr().eval()
    batch = make_batch()
    with torch.no_grad():
        out = model(batch, with_losses=True)
        dec = model.decoupler(batch)
        recon, ok = model.cross_reconstruct(dec.shared, dec.private, dec.masks, dec.present)
        errors = torch.stack([per_sample_l2(recon[m], dec.x[m], dec.masks[m]) for m in MODALITIES], dim=1)
    expected = sum(float((out.weight[:, i] * errors[:, i]).sum() / out.weight[:, i].sum()) for i in range(3))
    assert float(out.losses["rec"]) == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------- missing modalities


def test_masked_modality_is_excluded_from_conflict_reconstruction_and_fusion():
    model = cacr().eval()
    present = torch.tensor([[True, True, False], [True, True, True], [True, False, False]])
    batch = make_batch(present=present)
    with torch.no_grad():
        out = model(batch, with_losses=True)
        dec = model.decoupler(batch)
        pooled = dec.pooled_shared()
        _, ok = model.cross_reconstruct(dec.shared, dec.private, dec.masks, dec.present)
    # sample 0: vision absent -> its conflict 0 / weight 1; L and A conflict only with each other
    cos_la = torch.nn.functional.cosine_similarity(pooled[0, TEXT], pooled[0, AUDIO], dim=0)
    assert float(out.conflict[0, VISION]) == 0.0 and float(out.weight[0, VISION]) == 1.0
    assert float(out.conflict[0, TEXT]) == pytest.approx(float(1 - cos_la), abs=1e-5)
    assert float(out.conflict[0, AUDIO]) == pytest.approx(float(1 - cos_la), abs=1e-5)
    # sample 2: text alone -> nothing to cross-reconstruct from, no conflict
    assert out.conflict[2].abs().sum() == 0 and bool((out.weight[2] == 1).all())
    expected_ok = torch.tensor([[True, True, False], [True, True, True], [False, False, False]])
    assert torch.equal(ok, expected_ok)
    assert out.modality_intensity[0, VISION] == 0 and out.modality_intensity[2, AUDIO] == 0
    # never read as zeros (or as anything): garbage in an absent modality changes nothing
    noisy = MSABatch.build(
        {m: v.clone() for m, v in batch.features.items()}, batch.mask, present=present, labels=batch.labels
    )
    noisy.features["vision"][0] = 1e4 * torch.randn_like(noisy.features["vision"][0])
    noisy.features["audio"][2] = -1e4
    noisy.features["vision"][2] = 1e4
    with torch.no_grad():
        out2 = model(noisy, with_losses=True)
    for name in ("intensity", "modality_intensity", "conflict", "weight", "shared_intensity"):
        torch.testing.assert_close(getattr(out2, name), getattr(out, name))
    for key in out.losses:
        torch.testing.assert_close(out2.losses[key], out.losses[key])


def test_rec_loss_of_a_masked_modality_excludes_its_absent_samples():
    model = cacr().eval()
    present = torch.tensor([[True, True, False], [True, True, True], [True, True, True]])
    batch = make_batch(present=present)
    with torch.no_grad():
        out = model(batch, with_losses=True)
        dec = model.decoupler(batch)
        recon, ok = model.cross_reconstruct(dec.shared, dec.private, dec.masks, dec.present)
        errors = torch.stack([per_sample_l2(recon[m], dec.x[m], dec.masks[m]) for m in MODALITIES], dim=1)
    w = out.weight
    vision_term = float((w[1:, VISION] * errors[1:, VISION]).sum() / w[1:, VISION].sum())
    other_terms = sum(float((w[:, i] * errors[:, i]).sum() / w[:, i].sum()) for i in (TEXT, AUDIO))
    assert float(out.losses["rec"]) == pytest.approx(vision_term + other_terms, rel=1e-5)


def test_fsr_leaves_text_untouched_where_text_is_absent_and_refines_it_where_present():
    model = cacr().eval()
    present = torch.tensor([[False, True, True], [True, True, True], [True, False, False]])
    batch = make_batch(present=present)
    with torch.no_grad():
        dec = model.decoupler(batch)
        refined = model.refine(dec.private, dec.masks, dec.present)
    assert torch.equal(refined["text"][0], dec.private["text"][0])  # no text: no refinement
    assert torch.equal(refined["text"][2], dec.private["text"][2])  # no audio/vision to read from
    assert not torch.allclose(refined["text"][1], dec.private["text"][1])
    assert torch.isfinite(refined["text"]).all()


# ---------------------------------------------------------------- ablation switches


def test_caw_off_sets_every_weight_to_one_but_still_reports_conflict():
    model = cacr(caw=False).eval()
    out = model(make_batch(), with_losses=True)
    assert bool((out.weight == 1).all())
    assert float(out.conflict.abs().sum()) > 0


def test_caw_on_uses_the_conflict_weights_in_l_rec():
    # the paper's absolute reference; sharp decay so the weights differ visibly from 1
    model = cacr(w_min=0.0, tau=0.01, caw_reference="absolute", caw_warmup=0).eval()
    out = model(make_batch(), with_losses=True)
    torch.testing.assert_close(out.weight, torch.exp(-out.conflict / 0.01))
    assert float(out.weight.max()) < 1.0


def test_batch_reference_weighs_conflict_against_the_batch_spread_and_keeps_running_moments():
    model = cacr(tau=1.0, w_min=0.1, caw_warmup=0, caw_momentum=0.5).train()
    batch = make_batch(batch=6)
    out = model(batch)
    c = out.conflict
    mean, std = c.mean(dim=0), c.std(dim=0)  # every conflict defined here: all modalities present
    expected = torch.exp(-(1 + (c - mean) / std) / 1.0).clamp(0.1, 1.0)
    torch.testing.assert_close(out.weight, expected)
    assert float(out.weight.max()) == 1.0 and float(out.weight.min()) < 0.5  # the range is used
    # the first batch sets the running moments; inference uses them, whatever its batch size
    torch.testing.assert_close(model.caw.running_mean, mean)
    torch.testing.assert_close(model.caw.running_std, std)
    model.eval()
    one = model(make_batch(batch=1, seed=3))
    z = (one.conflict - mean) / std
    torch.testing.assert_close(one.weight, torch.exp(-(1 + z)).clamp(0.1, 1.0))
    # later batches move them by caw_momentum
    model.train()
    second = model(make_batch(batch=6, seed=4))
    torch.testing.assert_close(model.caw.running_mean, 0.5 * mean + 0.5 * second.conflict.mean(dim=0))


def test_conflict_weights_warm_up_linearly_from_one():
    model = cacr(caw_warmup=4, caw_reference="absolute", tau=0.5).train()
    batch = make_batch()
    outs = [model(batch) for _ in range(5)]  # training steps 1..5 of a 4-step warm-up
    for step, out in enumerate(outs, start=1):
        full = torch.exp(-out.conflict / 0.5).clamp(min=0.1)  # the paper's weight, reached after the warm-up
        torch.testing.assert_close(out.weight, 1 - min(1.0, step / 4) * (1 - full))
    assert float(outs[0].weight.min()) > float(outs[-1].weight.min())
    assert int(model.caw.steps) == 5


def test_crm_off_uses_self_reconstruction_and_adds_the_similarity_loss():
    model = cacr(crm=False)
    assert hasattr(model, "self_decoders") and not hasattr(model, "cross_decoders")
    out = model.train()(make_batch())
    assert set(out.losses) == {"rec", "orth", "sim"}
    full = cacr().train()(make_batch())
    assert set(full.losses) == {"rec", "orth", "priv"}
    model.eval()
    batch = make_batch(present=torch.tensor([[True, True, False], [True, True, True], [False, True, True]]))
    out = model(batch, with_losses=True)
    dec = model.decoupler(batch)
    torch.testing.assert_close(out.losses["sim"], shared_similarity_loss(dec.pooled_shared(), dec.present))
    assert float(out.losses["sim"].detach()) > 0.0
    # without CRM the shared branch reads H_m directly: no re-decoupling, no L_p
    assert "priv" not in out.losses


def test_gating_replaces_the_conflict_weight_with_a_learned_sigmoid_gate():
    model = cacr(gating=True).eval()
    batch = make_batch()
    out = model(batch, with_losses=True)
    dec = model.decoupler(batch)
    pooled = dec.pooled_shared()
    h_p = torch.cat([pooled[:, TEXT], masked_mean(dec.private["text"], dec.masks["text"])], dim=-1)
    torch.testing.assert_close(out.weight[:, TEXT], torch.sigmoid(model.gates["text"](h_p)).squeeze(-1))
    assert out.weight.requires_grad  # learned through L_rec, unlike the detached conflict weight
    out.losses["rec"].backward()
    assert model.gates["text"].weight.grad is not None


def test_fsr_off_keeps_private_features_as_they_are():
    model = cacr(fsr=False).eval()
    dec = model.decoupler(make_batch())
    refined = model.refine(dec.private, dec.masks, dec.present)
    assert all(refined[m] is dec.private[m] for m in MODALITIES)
    assert not hasattr(model, "text_guided")


def test_loss_weights_lambda_o_and_lambda_p_enter_the_total_as_configured():
    batch = make_batch()
    for lo, lp in ((0.1, 0.1), (0.0, 0.1), (0.1, 0.0)):
        model = cacr(lambda_o=lo, lambda_p=lp).eval()
        out = model(batch, with_losses=True)
        total, parts = model.compute_loss(batch, out)
        expected = parts["task"] + 0.1 * parts["rec"] + lo * parts["orth"] + lp * parts["priv"]
        assert float(total.detach()) == pytest.approx(expected, rel=1e-5)
        task = parts["l1_final"] + parts["l1_shared"] + 3 * parts["l1_text"] + parts["l1_audio"] + parts["l1_vision"]
        assert parts["task"] == pytest.approx(task, rel=1e-5)


def test_private_heads_use_unimodal_labels_where_known_else_the_overall_label():
    model = cacr().eval()
    batch = make_batch()
    batch.modality_labels = torch.tensor([[2.0, float("nan"), -1.0]] * 3)
    with torch.no_grad():
        out = model(batch)
    _, parts = model.compute_loss(batch, out)
    text = float((out.modality_intensity[:, TEXT] - 2.0).abs().mean())
    audio = float((out.modality_intensity[:, AUDIO] - batch.labels).abs().mean())
    assert parts["l1_text"] == pytest.approx(text, rel=1e-5)
    assert parts["l1_audio"] == pytest.approx(audio, rel=1e-5)


def test_detach_weights_off_lets_the_weights_carry_gradient_to_the_shared_encoder():
    batch = make_batch()
    assert not cacr().train()(batch).weight.requires_grad
    model = cacr(detach_weights=False).train()
    out = model(batch)
    params = list(model.decoupler.shared_encoder.parameters())
    grads = torch.autograd.grad(out.weight.sum(), params, allow_unused=True)
    assert any(g is not None and float(g.abs().sum()) > 0 for g in grads)
