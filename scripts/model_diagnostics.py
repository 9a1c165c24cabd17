#!/usr/bin/env python
"""Are CACR's and DBR's mechanisms at work? H_n-dependence gap, CAW weights, |cos(H, P)|, head leakage, routing.

A checkpoint on given data (prints the report as JSON):

    .venv/bin/python scripts/model_diagnostics.py --checkpoint models/cacr_monitor.pt --data DIR_OR_PKL --split test

Freshly trained models on RAVDESS, old vs new side by side (updates docs/results.md, "CACR mechanisms"):

    .venv/bin/python scripts/model_diagnostics.py --ravdess --variants cacr-old,cacr-new --seeds 3 --epochs 6
    .venv/bin/python scripts/model_diagnostics.py --ravdess --folds 6 --seeds 3 --epochs 30 --device cuda --jobs 12

Measurements: streammsa.training.diagnostics; variants and splits: streammsa.training.benchmarks.mechanisms.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from streammsa.errors import StreamMSAError
from streammsa.paths import docs_dir, shared_data

DEFAULT_MD = str(docs_dir() / "results.md") if docs_dir() else ""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1], formatter_class=fmt)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, help="diagnose this checkpoint on --data")
    src.add_argument("--ravdess", action="store_true", help="train the --variants on RAVDESS and diagnose them")
    src.add_argument("--from-json", type=Path, nargs="+", help="only rebuild the report from earlier --json-out files")
    p.add_argument("--data", help="with --checkpoint: MMSA pickle or feature directory")
    p.add_argument("--split", default="test", help="with --checkpoint: split to diagnose (default test)")
    p.add_argument("--variants", default="cacr-old,cacr-new,dbr-old,dbr-new", help="comma list (see mechanisms.py)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--patience", type=int, default=8)
    p.add_argument("--splits", default="speaker", help="comma list of RAVDESS benchmark splits (speaker, random)")
    p.add_argument("--folds", type=int, default=0, help="k >= 3: speaker-independent actor folds instead of --splits")
    p.add_argument("--device", default="cpu")
    p.add_argument("--jobs", type=int, default=1, help="parallel training processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--shared-data", type=Path, default=shared_data())
    p.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "streammsa" / "ravdess")
    p.add_argument("--json-out", type=Path, help="write every run (metrics + diagnostics) here, after each run")
    p.add_argument("--md", default=DEFAULT_MD, help="results file to update ('' = don't)")
    return p.parse_args(argv)


def diagnose_checkpoint(args: argparse.Namespace) -> int:
    from streammsa.models.checkpoint import load_model
    from streammsa.training.dataset import load_split
    from streammsa.training.diagnostics import diagnose

    if not args.data:
        raise StreamMSAError("--checkpoint needs --data (an MMSA pickle or a feature directory)")
    model, meta = load_model(args.checkpoint, args.device)
    dataset = load_split(args.data, args.split).with_spec(meta["spec"])
    print(json.dumps(diagnose(model, dataset, device=args.device), indent=1))
    return 0


def write_report(results: list[dict], args: argparse.Namespace, header: str, cache: Path) -> None:
    from streammsa.training.benchmarks.mechanisms import linear_predictability, markdown, predictability_markdown
    from streammsa.training.benchmarks.results_file import write_section

    schemes = sorted({r["scheme"] for r in results})
    bound = predictability_markdown({s: linear_predictability(str(cache), s) for s in schemes})
    body = (
        f"{header}\n\n{markdown(results)}\n\nWhat the other modalities predict of each modality's raw features "
        f"(ridge regression fitted on the train split, R^2 on train / test; `mechanisms.linear_predictability`):"
        f"\n\n{bound}"
    )
    print(body)
    if args.md:
        write_section(Path(args.md), "cacr-mechanisms", body)


def command_line(args: argparse.Namespace) -> str:
    split = f"--folds {args.folds}" if args.folds else f"--splits {args.splits}"
    return (
        f"`.venv/bin/python scripts/model_diagnostics.py --ravdess --variants {args.variants} --seeds {args.seeds} "
        f"--epochs {args.epochs} --patience {args.patience} {split} --device {args.device} --jobs {args.jobs}`"
    )


def run_ravdess(args: argparse.Namespace) -> int:
    from streammsa.training.benchmarks import mechanisms
    from streammsa.training.benchmarks.ravdess import build_cache, run_jobs
    from streammsa.training.benchmarks.results_file import device_label

    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in mechanisms.VARIANTS]
    if unknown:
        raise StreamMSAError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(mechanisms.VARIANTS)}")
    cache = build_cache(args.shared_data, args.cache_dir)
    jobs = mechanisms.jobs(
        str(cache),
        names,
        mechanisms.schemes(args.splits, args.folds),
        list(range(1, args.seeds + 1)),
        device=args.device,
        epochs=args.epochs,
        patience=args.patience,
        threads=args.threads,
    )
    results: list[dict] = []
    t0 = time.perf_counter()

    def record(r: dict) -> None:
        results.append(r)
        rec = r["diagnostics"].get("reconstruction", {})
        gaps = " ".join(f"{m} {v['hn_gap']:.3f}" for m, v in rec.items())
        print(
            f"{r['scheme']} {r['row']} seed {r['seed']}: test MAE {r['test']['MAE']:.3f}, "
            f"best epoch {r['best_epoch']}, H_n gap {gaps or '-'} ({r['seconds']:.0f} s)",
            flush=True,
        )
        save()

    def save(command: str | None = None) -> None:
        if args.json_out:
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            saved = {k: str(v) for k, v in vars(args).items()}
            doc = {"args": saved, "runs": results, **({"command": command} if command else {})}
            args.json_out.write_text(json.dumps(doc, indent=1))

    run_jobs(jobs, args.jobs, record)
    minutes = (time.perf_counter() - t0) / 60
    device = device_label(args.device) + f", {args.jobs} process(es) x {args.threads} thread(s)"
    save(f"{command_line(args)} ({device}, {minutes:.1f} min)")
    write_report(results, args, f"Command: {command_line(args)} ({device}, {minutes:.1f} min in all).", cache)
    return 0


def from_json(args: argparse.Namespace) -> int:
    from streammsa.training.benchmarks.ravdess import build_cache

    results, commands = [], []
    for f in args.from_json:
        doc = json.loads(f.read_text())
        results.extend(doc["runs"])
        commands.append(doc.get("command") or f.name)
    header = "Commands: " + "; ".join(commands) + "."
    write_report(results, args, header, build_cache(args.shared_data, args.cache_dir))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.checkpoint:
            return diagnose_checkpoint(args)
        if args.from_json:
            return from_json(args)
        return run_ravdess(args)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
