"""The actor-fold cross-validation report: differences paired within a fold, folds as the units."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from streammsa.training.benchmarks.ravdess_report import (
    REFERENCE_ROW,
    fold_markdown,
    is_fold_run,
    paired_differences,
    paper_direction,
)


def _run(fold: int, row: str, seed: int, mae: float) -> dict:
    test = {"MAE": mae, "Mult_acc_7": 0.3, "Non0_acc_2": 0.7, "Non0_F1_score": 0.7, "Has0_acc_2": 0.7}
    test |= {"Corr": 0.5, "emotion_acc8": 0.4}
    return {"scheme": f"fold{fold}of4", "row": row, "seed": seed, "test": test, "best_epoch": 5}


def _results() -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    for fold in range(4):
        base = 1.0 + 0.2 * fold  # folds differ a lot: pairing has to remove it
        for seed in (1, 2):
            out.append(_run(fold, REFERENCE_ROW, seed, base))
            out.append(_run(fold, "worse", seed, base + 0.1 + 0.01 * rng.standard_normal()))
            out.append(_run(fold, "same", seed, base + (0.05 if fold % 2 else -0.05)))
    return out


def test_paired_difference_removes_the_fold_effect_and_averages_seeds_within_a_fold():
    d = paired_differences(_results())
    assert set(d) == {"worse", "same"}
    assert d["worse"]["folds"] == 4
    mean, lo, hi = d["worse"]["MAE"]
    assert mean == pytest.approx(0.1, abs=0.01)
    assert 0 < lo < mean < hi < 0.2
    assert paper_direction(d["worse"]["MAE"]) == "holds"
    assert d["same"]["MAE"][1] < 0 < d["same"]["MAE"][2]
    assert paper_direction(d["same"]["MAE"]).startswith("not resolved")
    assert paper_direction((-0.1, -0.2, -0.05)) == "reversed"


def test_fold_report_names_the_command_the_pooled_rows_and_the_verdicts():
    results = _results()
    assert is_fold_run(results) and not is_fold_run([{**results[0], "scheme": "speaker"}])
    args = argparse.Namespace(
        epochs=30, patience=8, batch_size=32, lr=1e-4, optimizer="adamw", weight_decay=0.01,
        schedule="plateau", warmup_epochs=1.0, device="cpu", jobs=2, rows="4,5",
    )  # fmt: skip
    md = fold_markdown(results, args, "CPU", 12.0)
    assert "--folds 4 --seeds 2" in md and "--rows 4,5" in md
    worse = next(
        line for line in md.splitlines() if line.startswith("| worse | +0.1") or line.startswith("| worse | +0.09")
    )
    assert worse.endswith("| holds |")
    assert "| CACR (full) |" in md and "| 8 |" in md  # 4 folds x 2 seeds pooled


def test_the_family_table_widens_every_interval_for_the_rows_compared():
    results = _results()
    plain, family = paired_differences(results), paired_differences(results, level=1 - 0.05 / 2)
    for row in ("worse", "same"):
        assert family[row]["MAE"][0] == pytest.approx(plain[row]["MAE"][0])
        assert family[row]["MAE"][1] < plain[row]["MAE"][1] < plain[row]["MAE"][2] < family[row]["MAE"][2]
    args = argparse.Namespace(
        epochs=30, patience=8, batch_size=32, lr=1e-4, optimizer="adamw", weight_decay=0.01,
        schedule="plateau", warmup_epochs=1.0, device="cpu", jobs=2, rows="",
    )  # fmt: skip
    md = fold_markdown(results, args, "CPU", 1.0)
    assert "**The 2 rows at once** (Bonferroni: each interval at 1 - 0.05/2 = 97.5 %" in md
    worse = [line for line in md.splitlines() if line.startswith("| worse |")][-1]
    assert worse.endswith("| holds | not resolved (interval spans 0) |")  # Acc7 is 0.3 in every run


def test_a_fold_run_without_full_cacr_says_there_is_nothing_to_pair_with():
    args = argparse.Namespace(
        epochs=30, patience=8, batch_size=32, lr=1e-3, optimizer="adamw", weight_decay=0.01,
        schedule="plateau", warmup_epochs=1.0, device="cpu", jobs=2, rows="9",
    )  # fmt: skip
    md = fold_markdown([r for r in _results() if r["row"] == "worse"], args, "CPU", 1.0)
    assert "| worse |" in md and "nan" not in md
    assert "No CACR (full) runs here to pair with" in md


def test_seeds_added_to_an_earlier_run_are_reported_with_it_for_the_rows_asked(tmp_path, capsys, load_script):
    import json

    from streammsa.training.benchmarks.ravdess import ROWS

    bench = load_script("bench_ravdess")
    assert list(bench.seeds_of(bench.parse_args(["--seeds", "2", "--first-seed", "2"]))) == [2, 3]
    assert list(bench.seeds_of(bench.parse_args(["--seeds", "3"]))) == [1, 2, 3]
    full, other, left_out = ROWS[4][0], ROWS[8][0], ROWS[9][0]
    saved = {"seeds": "1", "epochs": "30", "patience": "8", "batch_size": "32", "lr": "0.0001", "device": "cpu"}
    saved |= {"jobs": "2", "optimizer": "adamw", "weight_decay": "0.01", "schedule": "plateau", "warmup_epochs": "1.0"}
    earlier = [_run(f, row, 1, 1.0 + 0.1 * f) for f in range(4) for row in (full, other, left_out)]
    later = [
        _run(f, row, s, 1.0 + 0.1 * f + (0.05 if row == other else 0.0))
        for f in range(4)
        for row in (full, other)
        for s in (2, 3)
    ]
    for runs, name, rows, minutes in ((earlier, "earlier", "4,8,9", 30.0), (later, "later", "4,8", 20.0)):
        for r in runs:
            r["seconds"] = 100.0
        doc = {"args": {**saved, "rows": rows}, "runs": runs, "device": "CPU", "minutes": minutes}
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    files = [str(tmp_path / "earlier.json"), str(tmp_path / "later.json")]
    assert bench.main(["--from-json", *files, "--rows", "4,8", "--md", ""]) == 0
    md = capsys.readouterr().out
    assert "--folds 4 --seeds 3" in md and "--rows 4,8" in md and left_out not in md
    assert "40.0 min in all" in md  # the earlier file's minutes counted by the share of its runs kept (2 of 3 rows)
    assert f"| {full} |" in md and "| 12 |" in md  # 4 folds x 3 seeds pooled
    # seeds averaged within a fold: (0 + 0.05 + 0.05) / 3 worse on every fold
    assert next(line for line in md.splitlines() if line.startswith(f"| {other} | +0.033"))


def test_tables_keep_the_registry_row_order_whatever_order_the_runs_finished_in():
    from streammsa.training.benchmarks.ravdess import ROWS
    from streammsa.training.benchmarks.ravdess_report import aggregate

    labels = [ROWS[i][0] for i in (10, 3, 8, 4)]
    runs = [
        {**_run(f, row, s, 1.0), "scheme": scheme}
        for scheme in ("random", "speaker")
        for row in labels
        for f, s in ((0, 1), (0, 2))
    ]
    shuffled = [runs[i] for i in np.random.default_rng(1).permutation(len(runs))]
    table = aggregate(shuffled)
    assert list(table) == ["speaker", "random"]
    assert list(table["speaker"]) == [ROWS[i][0] for i in (3, 4, 8, 10)]
    assert list(paired_differences(shuffled)) == [ROWS[i][0] for i in (3, 8, 10)]
