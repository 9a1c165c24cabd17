"""`scripts/train_text_reader.py publish`: the learning rate is chosen on validation (seed 0), never on test; the
shipped reader is seed 0's at that rate, and its card reports every seed at that rate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.features.minilm import load_encoder
from streammsa.models.text_reader import TextReader


@pytest.fixture
def script(load_script):
    return load_script("train_text_reader")


def _run(runs: Path, reader: TextReader, lr: float, seed: int, valid_mae: float, test_acc: float) -> None:
    config = {"top_layers": 1, "lr": lr, "head_lr": 1e-3, "weight_decay": 0.01, "epochs": 3, "batch_size": 32,
              "eval_every": 275, "seed": seed}  # fmt: skip
    test = {c: {"n": 10, "mae": 1.0 - test_acc, "corr": 0.5, "acc2_non0": test_acc, "acc2_has0": test_acc}
            for c in ("mosi", "mosei")}  # fmt: skip
    rec = {"config": config, "best_step": 3, "steps": 9, "valid_mae": valid_mae, "history": [], "test": test}
    name = f"top1-lr{lr:g}-ep3-seed{seed}"
    (runs / f"{name}.json").write_text(json.dumps(rec))
    reader.save(runs / f"{name}.pt", {"run": rec}, assets.minilm_dir())


def test_publish_chooses_on_validation_and_reports_the_seeds_at_that_rate(tmp_path, script):
    runs = tmp_path / "runs"
    runs.mkdir()
    torch.manual_seed(0)
    reader = TextReader.new(load_encoder(assets.minilm_dir()), assets.minilm_dir(), top_layers=1)
    _run(runs, reader, 1e-4, 0, valid_mae=0.60, test_acc=0.90)  # best on test, worse on validation
    _run(runs, reader, 5e-5, 0, valid_mae=0.55, test_acc=0.80)
    _run(runs, reader, 5e-5, 1, valid_mae=0.56, test_acc=0.84)
    out = tmp_path / "models" / "text_reader.pt"
    assert script.main(["publish", "--runs", str(runs), "--out", str(out)]) == 0
    meta = torch.load(out, weights_only=True)["meta"]
    assert meta["chosen"] == "top1-lr5e-05-ep3-seed0" and meta["seeds"] == [0, 1]
    assert meta["test_over_seeds"]["mosi"]["acc2_non0"] == pytest.approx([0.82, 0.02])
    card = out.with_suffix(".md").read_text()
    assert "82.0 +- 2.0" in card and "top1-lr5e-05-ep3-seed0" in card
    assert "run --lrs 0.0001,5e-05 --epochs 3 --seeds 0 --top-layers 1" in card
    assert "--lrs 5e-05 --epochs 3 --seeds 1,2,3,4 --top-layers 1" in card
    assert "grid run before a fix" not in card
    # an earlier grid's records go on the card for the record only: the shipped run stays the same
    assert script.main(["publish", "--runs", str(runs), "--out", str(out), "--grid-from", str(runs)]) == 0
    card = out.with_suffix(".md").read_text()
    assert "grid run before a fix" in card and "top1-lr0.0001-ep3-seed0: 0.6" in card
    assert torch.load(out, weights_only=True)["meta"]["chosen"] == "top1-lr5e-05-ep3-seed0"
    assert script.main(["publish", "--runs", str(tmp_path / "none"), "--out", str(out)]) == 2


def test_the_lexicon_stack_is_fitted_by_least_absolute_deviations(script):
    """``lexicon`` stacks VADER on a reader with the reader's own loss (L1): a few wild labels do not move the fit,
    where least squares would follow them."""
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=400), rng.normal(size=400), np.ones(400)]
    y = x @ np.array([0.9, 0.1, -0.05]) + 0.01 * rng.normal(size=400)
    y[:20] += 30.0  # 5 % of the labels far off
    w = script._l1_fit(x, y)
    assert w == pytest.approx([0.9, 0.1, -0.05], abs=0.02)
    assert abs(np.linalg.lstsq(x, y, rcond=None)[0][2] + 0.05) > 1.0  # least squares follows the outliers
