"""`streammsa train` and `streammsa eval` end to end on a small feature directory and an MMSA pickle."""

from __future__ import annotations

import json

import pytest
from support.training_data import write_feature_dir, write_mmsa_pickle

from streammsa.cli import main

SMALL = [
    "--set",
    "d_model=16",
    "--set",
    "heads=2",
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--lr",
    "1e-3",
    "--device",
    "cpu",
    "--no-progress",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = write_feature_dir(root / "feats", n_train=48, n_valid=16, n_test=24)
    out = root / "cacr.pt"
    code = main(["train", "--model", "cacr", "--data", str(data), "--out", str(out), *SMALL])
    assert code == 0
    return data, out


def test_train_writes_checkpoint_and_resume_state(trained):
    data, out = trained
    assert out.is_file() and (out.parent / (out.name + ".state")).is_file()


def test_eval_prints_metrics_table(trained, capsys):
    data, out = trained
    assert main(["eval", str(out), "--data", str(data), "--split", "test", "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    assert "cacr on" in text and "24 samples" in text
    for key in ("Has0_acc_2", "Non0_F1_score", "Mult_acc_7", "MAE", "Corr"):
        assert key in text


def test_eval_json_is_valid(trained, capsys):
    data, out = trained
    assert main(["eval", str(out), "--data", str(data), "--json", "--device", "cpu"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "cacr" and doc["samples"] == 24 and doc["split"] == "test"
    assert 0.0 <= doc["metrics"]["Mult_acc_7"] <= 1.0 and doc["metrics"]["MAE"] >= 0


def test_train_and_eval_on_mmsa_pickle(tmp_path, capsys):
    pkl = write_mmsa_pickle(tmp_path / "unaligned_50.pkl", n=32)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("d_model: 16\nheads: 2\n")
    out = tmp_path / "lf.pt"
    args = [
        "train",
        "--model",
        "late_fusion",
        "--data",
        str(pkl),
        "--config",
        str(cfg),
        "--out",
        str(out),
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--no-progress",
    ]
    assert main(args) == 0
    assert "checkpoint:" in capsys.readouterr().out
    assert main(["eval", str(out), "--data", str(pkl), "--split", "valid", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == 16


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--set", "no_such_key=1"], "unknown config key"),
        (["--set", "oops"], "KEY=VALUE"),
        (["--model", "nope"], "unknown model"),
        (["--config", "/nonexistent.yaml"], "file not found"),
        (["--epochs", "0"], "--epochs"),
    ],
)
def test_train_bad_settings_exit_2_with_one_line(trained, tmp_path, capsys, extra, message):
    data, _ = trained
    assert (
        main(
            ["train", "--data", str(data), "--out", str(tmp_path / "x.pt"), "--device", "cpu", "--no-progress", *extra]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_eval_bad_paths_exit_2(trained, tmp_path, capsys):
    data, out = trained
    assert main(["eval", str(tmp_path / "none.pt"), "--data", str(data)]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["eval", str(out), "--data", str(tmp_path / "nodata")]) == 2
    assert "data not found" in capsys.readouterr().err


def test_eval_refuses_features_from_other_extractors(trained, tmp_path, capsys):
    _, out = trained
    pkl = write_mmsa_pickle(tmp_path / "other.pkl", n=8)
    assert main(["eval", str(out), "--data", str(pkl)]) == 2
    assert "not made with the features this checkpoint expects" in capsys.readouterr().err


def test_train_config_file_errors(trained, tmp_path, capsys):
    data, _ = trained
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["train", "--data", str(data), "--config", str(bad), "--out", str(tmp_path / "x.pt")]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    assert main(["train", "--data", str(data), "--config", str(listy), "--out", str(tmp_path / "x.pt")]) == 2
    assert "must hold a mapping" in capsys.readouterr().err
