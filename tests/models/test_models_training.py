"""Every registered model trains, copes with ragged and missing inputs, and is deterministic on CPU."""

from __future__ import annotations

import pytest
import torch

from streammsa import MODALITIES
from streammsa.models import MSABatch, available, build_model

DIMS = {"text": 12, "audio": 7, "vision": 5}
SMALL = {"d_model": 16, "heads": 2}
NAMES = available()


def ragged_batch(seed: int = 0) -> MSABatch:
    """8 samples: different valid lengths, a missing modality here and there, labels in [-3, 3]."""
    g = torch.Generator().manual_seed(seed)
    b = 8
    feats = {m: torch.randn(b, t, DIMS[m], generator=g) for m, t in zip(MODALITIES, (6, 10, 5))}
    mask = {m: torch.ones(b, feats[m].shape[1], dtype=torch.bool) for m in MODALITIES}
    mask["audio"][0, 7:] = False
    mask["text"][3, 4:] = False
    mask["vision"][5, 2:] = False
    present = torch.ones(b, 3, dtype=torch.bool)
    present[1, 2] = False
    present[2, 0] = False
    return MSABatch.build(feats, mask, present=present, labels=torch.empty(b).uniform_(-3, 3, generator=g))


def degenerate_batch() -> MSABatch:
    """Sample 0: nothing at all; 1: text only (one token); 2: no text; 3: everything, length 1."""
    lengths = (5, 9, 4)
    feats = {m: torch.randn(4, t, DIMS[m]) for m, t in zip(MODALITIES, lengths)}
    mask = {m: torch.zeros(4, t, dtype=torch.bool) for m, t in zip(MODALITIES, lengths)}
    mask["text"][1, 0] = True
    mask["audio"][2, :9] = True
    mask["vision"][2, :3] = True
    for m in MODALITIES:
        mask[m][3, 0] = True
    return MSABatch.build(feats, mask, labels=torch.tensor([0.5, -1.0, 2.0, -3.0]))


@pytest.mark.parametrize("name", NAMES)
def test_model_overfits_a_small_fixed_batch(name):
    torch.manual_seed(0)
    batch = ragged_batch()
    model = build_model(name, DIMS, {**SMALL, "dropout": 0.0}).train()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    first = None
    for _ in range(100):
        loss, parts = model.compute_loss(batch, model(batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first or parts
    assert parts["l1_final"] < 0.2 * first["l1_final"], (first, parts)
    assert parts["total"] < 0.25 * first["total"], (first, parts)


@pytest.mark.parametrize("name", NAMES)
def test_ragged_lengths_and_all_false_masks_give_finite_outputs_and_gradients(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL).train()
    batch = degenerate_batch()
    assert batch.present.tolist() == [[False] * 3, [True, False, False], [False, True, True], [True] * 3]
    out = model(batch)
    for field in ("intensity", "modality_intensity", "conflict", "weight", "shared_intensity"):
        value = getattr(out, field)
        assert value is None or torch.isfinite(value).all(), field
    assert out.intensity.shape == (4,) and out.modality_intensity.shape == (4, 3)
    assert torch.equal(out.present, batch.present)
    assert bool((out.modality_intensity[~batch.present] == 0).all())
    assert bool((out.conflict[:2] == 0).all()) and bool((out.weight[:2] == 1).all())
    loss, parts = model.compute_loss(batch, out)
    loss.backward()
    assert all(torch.isfinite(torch.tensor(v)) for v in parts.values()), parts
    for pname, p in model.named_parameters():
        assert p.grad is None or torch.isfinite(p.grad).all(), pname
    with torch.inference_mode():
        out = model.eval()(batch)
    assert torch.isfinite(out.intensity).all() and torch.isfinite(out.modality_intensity).all()


@pytest.mark.parametrize("name", NAMES)
def test_extra_padding_does_not_change_any_output(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL).eval()
    batch = ragged_batch()
    padded = MSABatch.build(
        {m: torch.cat([v, 1e3 * torch.randn(v.shape[0], 4, v.shape[2])], dim=1) for m, v in batch.features.items()},
        {m: torch.cat([v, torch.zeros(v.shape[0], 4, dtype=torch.bool)], dim=1) for m, v in batch.mask.items()},
        present=batch.present,
    )
    with torch.inference_mode():
        a, b = model(batch), model(padded)
    for field in ("intensity", "modality_intensity", "conflict", "weight"):
        torch.testing.assert_close(getattr(a, field), getattr(b, field), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_training_step_is_deterministic_on_cpu_for_a_seed(name):
    def one_step() -> tuple[float, torch.Tensor]:
        torch.manual_seed(123)
        model = build_model(name, DIMS, SMALL).train()  # dropout on: the seed must fix it too
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        batch = ragged_batch()
        loss, _ = model.compute_loss(batch, model(batch))
        loss.backward()
        opt.step()
        return float(loss.detach()), torch.cat([p.detach().flatten() for p in model.parameters()])

    (loss_a, params_a), (loss_b, params_b) = one_step(), one_step()
    assert loss_a == loss_b
    assert torch.equal(params_a, params_b)


@pytest.mark.parametrize("name", NAMES)
def test_aux_losses_only_in_training_or_when_asked(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL)
    batch = ragged_batch()
    with torch.inference_mode():
        assert model.eval()(batch).losses == {}
    trained = model.train()(batch).losses
    asked = model.eval()(batch, with_losses=True).losses
    assert set(trained) == set(asked)
    expected = {"cacr": {"rec", "orth", "priv"}, "dbr": {"orth", "tsf", "route"}}.get(name, set())
    assert set(asked) == expected


@pytest.mark.parametrize("name", NAMES)
def test_inference_under_bf16_autocast_runs_and_stays_close(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL).eval()
    batch = ragged_batch()
    with torch.inference_mode():
        ref = model(batch)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(batch)
    assert torch.isfinite(low.intensity.float()).all()
    torch.testing.assert_close(low.intensity.float(), ref.intensity, atol=0.1, rtol=0.1)


@pytest.mark.parametrize("name", ["late_fusion", "text_only", "audio_only", "vision_only"])
def test_baselines_report_neutral_conflict_and_weight(name):
    model = build_model(name, DIMS, SMALL).eval()
    out = model(ragged_batch())
    assert bool((out.conflict == 0).all()) and bool((out.weight == 1).all())
    assert out.shared_intensity is None


def test_single_modality_model_reads_only_its_modality():
    torch.manual_seed(0)
    model = build_model("audio_only", DIMS, SMALL).eval()
    batch = ragged_batch()
    changed = MSABatch.build(
        {
            **batch.features,
            "text": torch.randn_like(batch.features["text"]),
            "vision": torch.randn_like(batch.features["vision"]),
        },
        batch.mask,
        present=batch.present,
    )
    with torch.inference_mode():
        torch.testing.assert_close(model(batch).intensity, model(changed).intensity)
        out = model(batch)
    assert bool((out.modality_intensity[:, [0, 2]] == 0).all())
    torch.testing.assert_close(out.modality_intensity[:, 1], out.intensity)


@pytest.mark.parametrize("name", NAMES)
def test_an_absent_modality_is_never_read_whatever_its_tensor_holds(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL).eval()
    batch = ragged_batch()  # sample 1 has no vision, sample 2 no text
    garbage = {m: v.clone() for m, v in batch.features.items()}
    garbage["vision"][1] = 1e4 * torch.randn_like(garbage["vision"][1])
    garbage["text"][2] = -1e4
    noisy = MSABatch.build(garbage, batch.mask, present=batch.present)
    with torch.inference_mode():
        a, b = model(batch, with_losses=True), model(noisy, with_losses=True)
    for field in ("intensity", "modality_intensity", "conflict", "weight"):
        torch.testing.assert_close(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("name", NAMES)
def test_a_window_with_zero_steps_of_a_modality_is_read_as_absent(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL).train()
    feats = {"text": torch.randn(2, 0, 12), "audio": torch.randn(2, 5, 7), "vision": torch.randn(2, 3, 5)}
    batch = MSABatch.build(feats, labels=torch.tensor([1.0, -1.0]))
    out = model(batch)
    assert not bool(out.present[:, 0].any()) and bool(out.present[:, 1:].all())
    loss, _ = model.compute_loss(batch, out)
    loss.backward()
    assert torch.isfinite(out.intensity).all() and torch.isfinite(loss)


def test_features_of_the_wrong_size_are_a_usage_error_naming_the_modality():
    from streammsa.errors import UsageError

    model = build_model("cacr", DIMS, SMALL)
    feats = {"text": torch.randn(1, 4, 12), "audio": torch.randn(1, 5, 8), "vision": torch.randn(1, 3, 5)}
    with pytest.raises(UsageError, match=r"audio features have shape \(1, 5, 8\) but the model expects"):
        model(MSABatch.build(feats))


@pytest.mark.parametrize("name", NAMES)
def test_a_sample_weighs_in_the_loss_by_its_label_confidence(name):
    """Label confidence (e.g. surprise 0.5) scales a sample's share of every task loss; a sample of weight
    0 adds nothing, and weight 1 everywhere is the unweighted loss (issue #10)."""
    torch.manual_seed(0)
    model = build_model(name, DIMS, SMALL).eval()
    batch = ragged_batch()
    with torch.no_grad():
        out = model(batch, with_losses=True)
    plain, _ = model.compute_loss(batch, out)
    ones = MSABatch(**{**batch.__dict__, "label_weights": torch.ones(8, 3)})
    assert model.compute_loss(ones, out)[0].item() == pytest.approx(plain.item(), rel=1e-6)
    w = torch.ones(8, 3)
    w[4] = 0.0  # sample 4 does not count
    weighted, _ = model.compute_loss(MSABatch(**{**batch.__dict__, "label_weights": w}), out)
    moved = MSABatch(**{**batch.__dict__, "labels": batch.labels.clone()})
    moved.labels[4] += 5.0  # ...so its label can be anything
    assert model.compute_loss(MSABatch(**{**moved.__dict__, "label_weights": w}), out)[0].item() == pytest.approx(
        weighted.item(), rel=1e-6
    )
    assert weighted.item() != pytest.approx(plain.item(), rel=1e-4)
