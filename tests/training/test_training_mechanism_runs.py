"""The mechanism comparison (scripts/model_diagnostics.py): actor folds, old/new variants, the report table."""

from __future__ import annotations

import json

import pytest
from support.training_data import write_feature_dir

from streammsa.datasets.corpus_labels import parse_ravdess
from streammsa.errors import InputError
from streammsa.models import build_model
from streammsa.models.cacr import CACRConfig
from streammsa.models.checkpoint import read_checkpoint
from streammsa.training.benchmarks import mechanisms
from streammsa.training.benchmarks.ravdess import make_splits
from streammsa.training.dataset import Sample
from streammsa.training.trainer import TrainOptions, train_model


@pytest.mark.data
def test_actor_folds_are_speaker_independent_and_every_clip_is_tested_once(shared_data):
    files = sorted((shared_data / "ravdess" / "audio").glob("Actor_*/*.flac"))
    samples = [
        Sample(id=f.stem, features={}, label=0.0, speaker=f"{parse_ravdess(f.stem)['actor']:02d}") for f in files
    ]
    tested = []
    for scheme in mechanisms.schemes("speaker", folds=6):
        split = make_splits(samples, scheme)
        actors = {k: {s.speaker for s in v} for k, v in split.items()}
        assert not (actors["train"] & actors["valid"]) and not (actors["train"] & actors["test"])
        assert not (actors["valid"] & actors["test"]) and len(actors["test"]) in (3, 4)
        assert sum(len(v) for v in split.values()) == len(samples)
        tested.extend(s.id for s in split["test"])
    assert sorted(tested) == sorted(s.id for s in samples)
    with pytest.raises(InputError, match="folds"):
        make_splits(samples, "fold6of6")


def test_old_variants_are_the_pre_issue_11_models_and_trainer_and_new_ones_the_defaults():
    old, new = mechanisms.VARIANTS["cacr-old"], mechanisms.VARIANTS["cacr-new"]
    assert CACRConfig(**old.overrides) == CACRConfig.legacy()
    assert old.optim == {"optimizer": "adam", "lr": 5e-4, "weight_decay": 0.0, "schedule": "none", "warmup_epochs": 0}
    assert new.overrides == {} and new.optim["optimizer"] == "adamw" and new.optim["lr"] == 1e-4
    for name, variant in mechanisms.VARIANTS.items():  # every variant builds
        build_model(variant.model, {"text": 4, "audio": 3, "vision": 2}, {**variant.overrides, "d_model": 8})
    jobs = mechanisms.jobs("c.npz", ["cacr-old", "dbr-new"], ["fold0of3", "fold1of3"], [1, 2], epochs=2)
    assert len(jobs) == 8 and all(j["diagnose"] and not j["probe"] and j["epochs"] == 2 for j in jobs)


def test_report_table_has_a_row_per_variant_with_mean_and_spread_over_runs():
    def run(row, mae, gap):
        modal = {m: {"hn_gap": gap, "hn_share": 0.5} for m in ("text", "audio", "vision")}
        weights = {m: {"q05": 0.1, "q50": 0.4, "q95": 1.0, "at_floor": 0.05, "at_one": 0.1} for m in modal}
        diag = {
            "reconstruction": modal,
            "caw_weights": weights,
            "abs_cos_hp": {m: 0.1 for m in modal},
            "head_leakage": {m: 0.0 for m in modal},
        }
        return {"row": row, "test": {"MAE": mae, "Non0_acc_2": 0.8}, "best_epoch": 3, "diagnostics": diag}

    table = mechanisms.markdown([run("cacr-old", 1.0, 0.0), run("cacr-new", 0.9, 0.1), run("cacr-new", 1.1, 0.3)])
    lines = table.splitlines()
    new_row = next(line for line in lines if line.startswith("| cacr-new | 2 |"))
    assert "1.000 +- 0.100" in new_row and "0.200 +- 0.100" in new_row
    assert any(line.startswith("| cacr-old | 1 | 1.000 |") for line in lines)


@pytest.mark.parametrize("model", ["cacr", "dbr"])
def test_diagnostics_script_reports_every_measure_of_a_checkpoint_on_a_feature_dir(
    tmp_path, capsys, model, load_script
):
    data = write_feature_dir(tmp_path / "data")
    opts = TrainOptions(
        model=model,
        data=str(data),
        out=str(tmp_path / "m.pt"),
        device="cpu",
        epochs=1,
        progress=False,
        overrides={"d_model": 16, "heads": 2},
    )
    ckpt = train_model(opts).checkpoint
    stored = read_checkpoint(ckpt)["config"]  # `streammsa train` builds today's model, not the legacy one
    assert stored["unimodal_heads"] is True and stored["split_subspaces"] is True
    script = load_script("model_diagnostics")
    assert script.main(["--checkpoint", str(ckpt), "--data", str(data), "--split", "test"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 32
    assert set(report["abs_cos_hp"]) == set(report["caw_weights"]) == {"text", "audio", "vision"}
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in report["head_leakage"].values())  # unimodal heads
    if model == "cacr":
        gaps = report["reconstruction"]
        assert set(gaps) == {"text", "audio", "vision"}
        assert all(g["error_intact"] > 0 and "hn_gap" in g and "hn_share" in g for g in gaps.values())
    else:
        assert "reconstruction" not in report
        assert all(0 < r["token_entropy"] <= r["uniform"] + 1e-6 for r in report["routing"].values())
    assert script.main(["--checkpoint", str(ckpt)]) == 1  # no --data: one line saying what to do
    assert "needs --data" in capsys.readouterr().err
