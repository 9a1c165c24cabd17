"""The trainer learns, stops early, resumes exactly, and is deterministic on CPU."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from support.training_data import PooledConfig, PooledRegressor, pooled_builder, write_feature_dir

from streammsa.errors import InputError, UsageError
from streammsa.models.checkpoint import load_model, read_checkpoint
from streammsa.training.dataset import load_split
from streammsa.training.trainer import Trainer, TrainOptions, evaluate, prepare_data, seed_everything, train_model


@pytest.fixture(scope="module")
def feature_dir(tmp_path_factory):
    return write_feature_dir(tmp_path_factory.mktemp("feats") / "data")


def _opts(data, out, **kw) -> TrainOptions:
    base = dict(
        model="pooled",
        data=str(data),
        out=str(out),
        device="cpu",
        epochs=4,
        batch_size=16,
        lr=1e-2,
        patience=10,
        progress=False,
        seed=7,
    )
    base.update(kw)
    return TrainOptions(**base)


def test_training_improves_validation_loss(feature_dir, tmp_path):
    res = train_model(_opts(feature_dir, tmp_path / "m.pt", epochs=6), builder=pooled_builder)
    losses = [h.valid_loss for h in res.history]
    assert len(losses) == 6
    assert min(losses[1:]) < 0.8 * losses[0]
    assert res.best_valid["MAE"] == pytest.approx(min(h.valid["MAE"] for h in res.history))
    # The checkpoint holds the best epoch, and its validation MAE is reproducible from the file.
    model, meta = load_model(res.checkpoint, "cpu", builder=pooled_builder)
    assert meta["metrics"]["best_epoch"] == res.best_epoch
    valid = load_split(feature_dir, "valid").with_spec(meta["spec"])
    scores, _ = evaluate(model, valid, torch.device("cpu"))
    assert scores["MAE"] == pytest.approx(res.best_valid["MAE"], abs=1e-5)


def test_two_cpu_runs_with_one_seed_give_identical_weights(feature_dir, tmp_path):
    a = train_model(_opts(feature_dir, tmp_path / "a.pt", epochs=2), builder=pooled_builder)
    b = train_model(_opts(feature_dir, tmp_path / "b.pt", epochs=2), builder=pooled_builder)
    sa = read_checkpoint(a.checkpoint)["state_dict"]
    sb = read_checkpoint(b.checkpoint)["state_dict"]
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    c = train_model(_opts(feature_dir, tmp_path / "c.pt", epochs=2, seed=8), builder=pooled_builder)
    sc = read_checkpoint(c.checkpoint)["state_dict"]
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)


def _final_state(path):
    return torch.load(str(path) + ".state", weights_only=True)["model"]


def test_resume_continues_from_saved_epoch_and_matches_an_uninterrupted_run(feature_dir, tmp_path):
    full = train_model(_opts(feature_dir, tmp_path / "full.pt", epochs=4), builder=pooled_builder)
    train_model(_opts(feature_dir, tmp_path / "part.pt", epochs=2), builder=pooled_builder)
    resumed = train_model(_opts(feature_dir, tmp_path / "part.pt", epochs=4, resume=True), builder=pooled_builder)
    assert [h.epoch for h in resumed.history] == [1, 2, 3, 4]
    # Optimizer, RNG and shuffling state were restored: the weights equal those of one 4-epoch run.
    a, b = _final_state(tmp_path / "full.pt"), _final_state(tmp_path / "part.pt")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert [h.valid_loss for h in resumed.history] == pytest.approx([h.valid_loss for h in full.history])


def test_resume_refuses_other_settings_or_missing_state(feature_dir, tmp_path):
    with pytest.raises(InputError, match="no saved state"):
        train_model(_opts(feature_dir, tmp_path / "none.pt", resume=True), builder=pooled_builder)
    train_model(_opts(feature_dir, tmp_path / "r.pt", epochs=1), builder=pooled_builder)
    with pytest.raises(UsageError, match="metric"):
        train_model(_opts(feature_dir, tmp_path / "r.pt", epochs=2, resume=True, metric="Corr"), builder=pooled_builder)


def test_early_stopping_after_patience(feature_dir, tmp_path):
    train, valid, spec = prepare_data(str(feature_dir))
    seed_everything(0)
    model = PooledRegressor(spec.dims, PooledConfig())
    opts = _opts(feature_dir, tmp_path / "es.pt", epochs=30, patience=2, lr=1e-9, metric="loss")
    res = Trainer(model, train, valid, opts, spec).fit()
    # With a vanishing learning rate the validation loss cannot keep improving: stop after 2 bad epochs.
    assert res.stopped_early and len(res.history) < 30
    assert len(res.history) - res.best_epoch == 2


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"epochs": 0}, "--epochs"),
        ({"lr": -1.0}, "--lr"),
        ({"metric": "Mult_acc_3"}, "not a mosi metric"),
        ({"device": "tpu"}, "unknown device"),
    ],
)
def test_bad_options_are_usage_errors(feature_dir, tmp_path, kw, message):
    with pytest.raises(UsageError, match=message):
        train_model(_opts(feature_dir, tmp_path / "x.pt", **kw), builder=pooled_builder)


def test_train_args_and_versions_are_stored(feature_dir, tmp_path):
    opts = _opts(feature_dir, tmp_path / "v.pt", epochs=1, overrides={"hidden": 5})
    res = train_model(opts, builder=pooled_builder)
    state = read_checkpoint(res.checkpoint)
    assert state["train_args"] == dataclasses.asdict(opts)
    assert state["config"] == {"hidden": 5, "dropout": 0.1}
    assert state["code_version"]["streammsa"]
    assert state["feature_spec"]["audio"]["mean"] is not None  # train-split normalisation travels with the model
