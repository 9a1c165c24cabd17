#!/usr/bin/env python
"""RAVDESS tri-modal benchmark: baselines, CACR, every CACR ablation and DBR, mean +- std over seeds.

One command reproduces a table in docs/results.md:

    .venv/bin/python scripts/bench_ravdess.py --seeds 5 --epochs 30
    .venv/bin/python scripts/bench_ravdess.py --folds 6 --seeds 3 --epochs 30 --device cuda --jobs 12   # actor-fold CV

Seeds 2 and 3 beside an earlier run of seed 1: ``--seeds 2 --first-seed 2 --json-out more.json``, then
``--from-json earlier.json more.json`` reports them together (seeds are averaged within a fold before pairing).

The table in docs/results.md was made with the trainer before issue #11: add
``--optimizer adam --weight-decay 0 --schedule none --warmup-epochs 0 --lr 5e-4`` to reproduce it.

Data, features, splits and model selection: ``streammsa.training.benchmarks.ravdess``.
Extracted features are cached in --cache-dir (default ~/.cache/streammsa/ravdess).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from streammsa.errors import StreamMSAError
from streammsa.paths import docs_dir, shared_data
from streammsa.training.benchmarks.ravdess import ROWS, build_cache, fold_scheme, run_jobs
from streammsa.training.benchmarks.ravdess_report import aggregate, fold_markdown, is_fold_run, markdown
from streammsa.training.benchmarks.results_file import device_label, write_section

DEFAULT_MD = str(docs_dir() / "results.md") if docs_dir() else ""


def report_from_json(args: argparse.Namespace) -> int:
    """Rebuild the markdown from runs saved with --json-out (e.g. one file per split run on a GPU host); with
    --rows, only those rows' runs (each file's minutes counted by their share of its runs' seconds)."""
    keep = {ROWS[int(i)][0] for i in args.rows.split(",")} if args.rows else None
    results, devices, minutes = [], set(), 0.0
    for f in args.from_json:
        doc = json.loads(f.read_text())
        runs = [r for r in doc["runs"] if keep is None or r["row"] in keep]
        results.extend(runs)
        devices.add(doc.get("device", "unknown device"))
        share = sum(r["seconds"] for r in runs) / max(sum(r["seconds"] for r in doc["runs"]), 1e-9)
        minutes += float(doc.get("minutes", 0.0)) * share
        saved = doc["args"]
        for k in ("seeds", "epochs", "patience", "batch_size", "lr", "device", "jobs"):
            setattr(args, k, saved[k])
        if keep is None:
            args.rows = saved.get("rows", "")
        for k, old in (("optimizer", "adam"), ("weight_decay", "0.0"), ("schedule", "none"), ("warmup_epochs", "0.0")):
            setattr(args, k, saved.get(k, old))  # files written before these options: the old trainer
    publish(results, args, "; ".join(sorted(devices)), minutes)
    return 0


def publish(results: list[dict], args: argparse.Namespace, device: str, minutes: float) -> None:
    """Print the table and update its section of --md: the fold cross-validation has its own section."""
    if is_fold_run(results):
        body, marker = fold_markdown(results, args, device, minutes), "ravdess_folds"
    else:
        sizes = {r["scheme"]: r["sizes"] for r in results}
        body, marker = markdown(aggregate(results), args, sizes, device, minutes), "ravdess"
    print(body)
    if args.md:
        write_section(Path(args.md), marker, body)


def seeds_of(args: argparse.Namespace) -> range:
    """The seeds each row runs with: --seeds of them from --first-seed (more seeds beside an earlier run)."""
    return range(args.first_seed, args.first_seed + args.seeds)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=1, help="seeds run: first-seed .. first-seed + seeds - 1")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--optimizer", default="adamw", choices=["adamw", "adam"])
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--schedule", default="plateau", choices=["plateau", "cosine", "none"])
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--splits", default="speaker,random", help="comma list of speaker, random, fold<i>of<k>")
    p.add_argument("--folds", type=int, default=0, help="k >= 3: every speaker-independent actor fold, not --splits")
    p.add_argument("--rows", default="", help="comma list of row indexes to run (default all)")
    p.add_argument("--device", default="auto")
    p.add_argument("--jobs", type=int, default=1, help="parallel training processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "streammsa" / "ravdess")
    p.add_argument("--cache-file", type=Path, help="use this feature cache .npz (skips extraction)")
    p.add_argument("--json-out", type=Path, default=None, help="write every run's metrics here")
    p.add_argument("--md", default=DEFAULT_MD, help="results file to update ('' = don't)")
    p.add_argument("--extract-only", action="store_true")
    p.add_argument("--from-json", type=Path, nargs="+", help="only rebuild the report from earlier --json-out files")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        return report_from_json(args)
    try:
        cache = args.cache_file or build_cache(args.data, args.cache_dir)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"features: {cache}", flush=True)
    if args.extract_only:
        return 0
    rows = [ROWS[int(i)] for i in args.rows.split(",")] if args.rows else ROWS
    if args.folds:
        schemes = [fold_scheme(i, args.folds) for i in range(args.folds)]
    else:
        schemes = [s.strip() for s in args.splits.split(",") if s.strip()]
    jobs = [
        {
            "cache": str(cache),
            "scheme": sc,
            "row": label,
            "model": name,
            "overrides": ov,
            "seed": seed,
            "device": args.device,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "optimizer": args.optimizer,
            "weight_decay": args.weight_decay,
            "schedule": args.schedule,
            "warmup_epochs": args.warmup_epochs,
            "patience": args.patience,
            "threads": args.threads,
        }
        for sc in schemes
        for label, name, ov in rows
        for seed in seeds_of(args)
    ]
    t0 = time.perf_counter()
    results = []

    def record(r: dict) -> None:
        results.append(r)
        t = r["test"]
        print(
            f"{r['scheme']:8s} {r['row']:28s} seed {r['seed']}: MAE {t['MAE']:.3f} Acc2 {t['Non0_acc_2']:.3f} "
            f"emo {t['emotion_acc8']:.3f} (best epoch {r['best_epoch']}, {r['seconds']:.0f} s)",
            flush=True,
        )
        if args.json_out:  # after every run, so an interrupted benchmark keeps what it measured
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            saved = {k: str(v) for k, v in vars(args).items()}
            args.json_out.write_text(json.dumps({"args": saved, "runs": results}, indent=1))

    run_jobs(jobs, args.jobs, record)
    minutes = (time.perf_counter() - t0) / 60
    device = device_label(args.device) + f", {args.jobs} process(es) x {args.threads} thread(s)"
    if args.json_out:
        doc = json.loads(args.json_out.read_text())
        doc.update({"device": device, "minutes": minutes})
        args.json_out.write_text(json.dumps(doc, indent=1))
    publish(results, args, device, minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
