"""The RAVDESS benchmark's table: mean +- std over seeds per split scheme and model row."""

from __future__ import annotations

import argparse

import numpy as np

from streammsa.training.benchmarks.ravdess import REPORT_KEYS


def aggregate(results: list[dict]) -> dict:
    table: dict = {}
    for r in results:
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
