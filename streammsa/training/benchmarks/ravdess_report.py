"""The RAVDESS benchmark's table: mean +- std over seeds per split scheme and model row."""

from __future__ import annotations

import argparse

import numpy as np

from streammsa.training.benchmarks.ravdess import REPORT_KEYS, ROWS

_ROW_ORDER = {label: i for i, (label, _, _) in enumerate(ROWS)}
_SCHEME_ORDER = {"speaker": 0, "random": 1}


def in_table_order(results: list[dict]) -> list[dict]:
    """Runs by split scheme (speaker, random, then the rest by name), then row (the registry's order, rows it does not
    know after them by name), then seed: runs are recorded as they finish, so their order says nothing."""

    def key(r: dict) -> tuple:
        row = _ROW_ORDER.get(r["row"], len(_ROW_ORDER))
        return (_SCHEME_ORDER.get(r["scheme"], len(_SCHEME_ORDER)), r["scheme"], row, r["row"], r["seed"])

    return sorted(results, key=key)


def aggregate(results: list[dict]) -> dict:
    table: dict = {}
    for r in in_table_order(results):
        table.setdefault(r["scheme"], {}).setdefault(r["row"], []).append(r)
    out = {}
    for scheme, rows in table.items():
        out[scheme] = {}
        for row, runs in rows.items():
            out[scheme][row] = {
                k: (float(np.nanmean([x["test"][k] for x in runs])), float(np.nanstd([x["test"][k] for x in runs])))
                for k in REPORT_KEYS
            }
            out[scheme][row]["n"] = len(runs)
            out[scheme][row]["best_epoch"] = float(np.mean([x["best_epoch"] for x in runs]))
    return out


def markdown(agg: dict, args: argparse.Namespace, sizes: dict, device: str, minutes: float) -> str:
    pct = {"Non0_acc_2", "Non0_F1_score", "Has0_acc_2", "Mult_acc_7", "emotion_acc8"}
    lines = [
        f"Command: `.venv/bin/python scripts/bench_ravdess.py --seeds {args.seeds} --epochs {args.epochs} "
        f"--patience {args.patience} "
        f"--batch-size {args.batch_size} --lr {args.lr} --optimizer {args.optimizer} "
        f"--weight-decay {args.weight_decay} --schedule {args.schedule} --warmup-epochs {args.warmup_epochs} "
        f"--device {args.device} --jobs {args.jobs}` "
        f"({device}, {minutes:.1f} min in all). Test split, mean +- std over "
        f"{args.seeds} seeds; accuracies/F1 in %, MAE/Corr on the [-3, 3] intensity scale; "
        "emotion = 8-class linear probe.",
        "",
    ]
    for scheme, rows in agg.items():
        s = sizes[scheme]
        lines.append(f"**{scheme} split** (train {s['train']} / valid {s['valid']} / test {s['test']} clips)")
        lines.append("")
        lines.append(
            "| model | Acc2 (Non0) | F1 (Non0) | Acc2 (Has0) | Acc7 | MAE | Corr | emotion acc (8) | best epoch |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for row, m in rows.items():
            cells = []
            for k in REPORT_KEYS:
                mean, std = m[k]
                cells.append(f"{100 * mean:.2f} +- {100 * std:.2f}" if k in pct else f"{mean:.3f} +- {std:.3f}")
            lines.append(f"| {row} | " + " | ".join(cells) + f" | {m['best_epoch']:.1f} |")
        lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------ actor-fold cross-validation

REFERENCE_ROW = "CACR (full)"
PAIRED_KEYS = ("MAE", "Mult_acc_7", "Non0_acc_2")


def is_fold_run(results: list[dict]) -> bool:
    return bool(results) and all(r["scheme"].startswith("fold") for r in results)


def pooled(results: list[dict]) -> dict:
    """Per row: mean +- std of every test metric over all (fold, seed) runs, as ``aggregate`` gives per scheme."""
    return aggregate([{**r, "scheme": "folds"} for r in results])["folds"]


def paired_differences(results: list[dict], reference: str = REFERENCE_ROW, level: float = 0.95) -> dict:
    """Per row, the difference row - reference on each of ``PAIRED_KEYS``, paired within a fold.

    The seeds of one fold share its test actors, so they are averaged first and the folds are the
    independent units: the ``level`` interval is Student's t over the per-fold mean differences (df = folds - 1).
    """
    from scipy.stats import t as student_t

    by: dict = {}
    for r in in_table_order(results):
        by.setdefault(r["row"], {}).setdefault(r["scheme"], []).append(r["test"])
    ref = by.get(reference, {})
    out: dict = {}
    for row, folds in by.items():
        if row == reference:
            continue
        shared = sorted(set(folds) & set(ref))
        out[row] = {"folds": len(shared)}
        for k in PAIRED_KEYS:
            d = np.asarray([np.nanmean([x[k] for x in folds[f]]) - np.nanmean([x[k] for x in ref[f]]) for f in shared])
            mean = float(d.mean()) if len(d) else float("nan")
            half = float("nan")
            if len(d) > 1:
                half = float(student_t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
            out[row][k] = (mean, mean - half, mean + half)
    return out


def paper_direction(mae: tuple[float, float, float]) -> str:
    """The CACR paper says each ablation (and each baseline) has a higher MAE than full CACR."""
    _, lo, hi = mae
    if lo > 0:
        return "holds"
    if hi < 0:
        return "reversed"
    return "not resolved (interval spans 0)"


def fold_markdown(results: list[dict], args: argparse.Namespace, device: str, minutes: float) -> str:
    pct = {"Non0_acc_2", "Non0_F1_score", "Has0_acc_2", "Mult_acc_7", "emotion_acc8"}
    folds = sorted({r["scheme"] for r in results})
    seeds = sorted({r["seed"] for r in results})
    rows = pooled(results)
    lines = [
        f"Command: `.venv/bin/python scripts/bench_ravdess.py --folds {len(folds)} --seeds {len(seeds)} "
        f"--epochs {args.epochs} --patience {args.patience} --batch-size {args.batch_size} --lr {args.lr} "
        f"--optimizer {args.optimizer} --weight-decay {args.weight_decay} --schedule {args.schedule} "
        f"--warmup-epochs {args.warmup_epochs} --device {args.device} --jobs {args.jobs}"
        + (f" --rows {args.rows}" if getattr(args, "rows", "") else "")
        + f"` ({device}, {minutes:.1f} min in all). Speaker-independent: {len(folds)} folds of the 24 actors, each "
        "fold's actors the test split once, never seen in training or validation.",
        "",
        f"**Pooled** over {len(folds)} folds x {len(seeds)} seed(s) (mean +- std of the runs):",
        "",
        "| model | Acc2 (Non0) | Acc7 | MAE | Corr | emotion acc (8) | best epoch | runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row, m in rows.items():
        cells = []
        for k in ("Non0_acc_2", "Mult_acc_7", "MAE", "Corr", "emotion_acc8"):
            mean, std = m[k]
            cells.append(f"{100 * mean:.2f} +- {100 * std:.2f}" if k in pct else f"{mean:.3f} +- {std:.3f}")
        lines.append(f"| {row} | " + " | ".join(cells) + f" | {m['best_epoch']:.1f} | {m['n']} |")
    if REFERENCE_ROW not in rows:
        lines += ["", f"No {REFERENCE_ROW} runs here to pair with: add a file of them with `--from-json`."]
        return "\n".join(lines)
    lines += [
        "",
        f"**Paired against {REFERENCE_ROW}** (row minus full CACR; seeds averaged within a fold, 95 % t-interval "
        "over the folds). The paper's direction: every ablation and baseline has a higher MAE than full CACR.",
        "",
        "| model | MAE difference [95 % CI] | Acc7 difference, points [95 % CI] "
        "| Acc2 difference, points [95 % CI] | paper's direction (MAE) |",
        "|---|---|---|---|---|",
    ]
    for row, d in paired_differences(results).items():
        mae, acc7, acc2 = d["MAE"], d["Mult_acc_7"], d["Non0_acc_2"]
        lines.append(
            f"| {row} | {mae[0]:+.3f} [{mae[1]:+.3f}, {mae[2]:+.3f}] "
            f"| {100 * acc7[0]:+.1f} [{100 * acc7[1]:+.1f}, {100 * acc7[2]:+.1f}] "
            f"| {100 * acc2[0]:+.1f} [{100 * acc2[1]:+.1f}, {100 * acc2[2]:+.1f}] | {paper_direction(mae)} |"
        )
    return "\n".join(lines + family_markdown(results))


def family_markdown(results: list[dict]) -> list[str]:
    """The paired table again with every row's interval widened for the number of rows compared (Bonferroni):
    with six rows at 95 % each, chance alone puts at least one interval clear of 0 about one time in four
    (1 - 0.95^6), so a direction that "holds" for the table as a whole should hold here too."""
    k = len({r["row"] for r in results} - {REFERENCE_ROW})
    if k < 2:
        return []
    level = 1 - 0.05 / k
    lines = [
        "",
        f"**The {k} rows at once** (Bonferroni: each interval at 1 - 0.05/{k} = {100 * level:.1f} %, so that all {k} "
        "hold together at 95 %). The paper's direction for Acc7: lower than full CACR.",
        "",
        f"| model | MAE difference [{100 * level:.1f} % CI] | Acc7 difference, points [{100 * level:.1f} % CI] "
        "| paper's direction (MAE) | paper's direction (Acc7) |",
        "|---|---|---|---|---|",
    ]
    for row, d in paired_differences(results, level=level).items():
        mae, acc7 = d["MAE"], d["Mult_acc_7"]
        lines.append(
            f"| {row} | {mae[0]:+.3f} [{mae[1]:+.3f}, {mae[2]:+.3f}] "
            f"| {100 * acc7[0]:+.1f} [{100 * acc7[1]:+.1f}, {100 * acc7[2]:+.1f}] | {paper_direction(mae)} "
            f"| {paper_direction((-acc7[0], -acc7[2], -acc7[1]))} |"
        )
    return lines
