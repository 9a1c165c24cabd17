"""The trainer learns, stops early, resumes exactly (schedule included), is deterministic on CPU, and
optimises with AdamW + warm-up + plateau schedule by default (plain Adam without schedule on request)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from support.training_data import PooledConfig, PooledRegressor, pooled_builder, write_feature_dir

from streammsa.errors import InputError, UsageError
from streammsa.models.checkpoint import load_model, read_checkpoint
from streammsa.training.dataset import load_split
from streammsa.training.optim import LRSchedule, build_optimizer
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
    res = train_model(_opts(feature_dir, tmp_path / "m.pt", epochs=8), builder=pooled_builder)  # 1 of warm-up
    losses = [h.valid_loss for h in res.history]
    assert len(losses) == 8
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
        ({"optimizer": "sgd"}, "--optimizer"),
        ({"schedule": "step"}, "--schedule"),
        ({"warmup_epochs": -1.0}, "--warmup-epochs"),
        ({"attention_dropout": 1.0}, "--attention-dropout"),
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


def test_learning_rate_warms_up_linearly_then_halves_after_a_plateau():
    sched = LRSchedule("plateau", lr=1e-3, steps_per_epoch=4, epochs=10, warmup_epochs=1.0, plateau_patience=2)
    warm = []
    for _ in range(6):
        warm.append(sched.factor())
        sched.advance()
    assert warm == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    for improved, factor in ((True, 1.0), (False, 1.0), (False, 0.5), (False, 0.5), (True, 0.5), (False, 0.5)):
        sched.end_epoch(improved)
        assert sched.factor() == pytest.approx(factor)
    sched.end_epoch(False)
    assert sched.factor() == pytest.approx(0.25)
    restored = LRSchedule("plateau", lr=1e-3, steps_per_epoch=4, epochs=10, warmup_epochs=1.0, plateau_patience=2)
    restored.load_state_dict(sched.state_dict())
    assert restored.factor() == sched.factor()


def test_cosine_schedule_decays_to_one_percent_and_none_keeps_the_rate():
    cosine = LRSchedule("cosine", lr=1.0, steps_per_epoch=5, epochs=2, warmup_epochs=0.0)
    factors = []
    for _ in range(11):
        factors.append(cosine.factor())
        cosine.advance()
    assert factors[0] == pytest.approx(1.0) and factors[5] == pytest.approx(0.505)
    assert factors[-1] == pytest.approx(0.01)
    assert all(b <= a for a, b in zip(factors, factors[1:]))
    flat = LRSchedule("none", lr=1.0, steps_per_epoch=5, epochs=2, warmup_epochs=0.0)
    flat.end_epoch(False)
    flat.end_epoch(False)
    assert flat.factor() == 1.0


def test_adamw_decays_weight_matrices_only_and_adam_keeps_one_group():
    model = PooledRegressor({"text": 6, "audio": 4, "vision": 3}, PooledConfig())
    adamw = build_optimizer(model, "adamw", 1e-3, 0.05)
    assert isinstance(adamw, torch.optim.AdamW)
    decayed, kept = adamw.param_groups
    assert decayed["weight_decay"] == 0.05 and all(p.ndim >= 2 for p in decayed["params"])
    assert kept["weight_decay"] == 0.0 and all(p.ndim < 2 for p in kept["params"])
    assert len(decayed["params"]) + len(kept["params"]) == len(list(model.parameters()))
    adam = build_optimizer(model, "adam", 1e-3, 0.0)
    assert type(adam) is torch.optim.Adam and len(adam.param_groups) == 1


def test_plateau_schedule_lowers_the_rate_of_a_stalled_run_and_the_old_settings_keep_it(feature_dir, tmp_path):
    train, valid, spec = prepare_data(str(feature_dir))
    rates = {}
    for name, kw in {
        "default": {},
        "old": {"optimizer": "adam", "schedule": "none", "warmup_epochs": 0.0, "weight_decay": 0.0},
    }.items():
        seed_everything(0)
        opts = _opts(feature_dir, tmp_path / f"{name}.pt", epochs=6, patience=10, lr=1e-9, metric="loss", **kw)
        trainer = Trainer(PooledRegressor(spec.dims, PooledConfig()), train, valid, opts, spec)
        trainer.fit()
        rates[name] = [g["lr"] for g in trainer.optimizer.param_groups]
    # lr 1e-9 cannot improve the validation loss: the plateau schedule halves the rate every 2 epochs
    assert rates["default"] == pytest.approx([1e-9 * 0.5**2] * 2)
    assert rates["old"] == [1e-9]


def test_attention_dropout_is_set_on_every_attention_layer_and_only_while_training_matters():
    from streammsa.models import build_model
    from streammsa.training.trainer import set_attention_dropout

    model = build_model("cacr", {"text": 12, "audio": 7, "vision": 5}, {"d_model": 16, "heads": 2})
    attention = [m for m in model.modules() if isinstance(m, torch.nn.MultiheadAttention)]
    assert attention and all(m.dropout == 0.1 for m in attention)
    assert set_attention_dropout(model, 0.0) == len(attention)
    assert all(m.dropout == 0.0 for m in attention)
    # the other dropouts (residual, feed-forward, heads) are the model's own
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.1 for m in model.modules())
