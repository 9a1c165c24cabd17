#!/usr/bin/env python
"""MOSI / MOSEI text benchmark: text-only model on MiniLM token features vs the VADER lexicon baseline.

One command reproduces the table in docs/results.md:

    .venv/bin/python scripts/bench_mosi_text.py --seeds 5 --epochs 30

Data, features, training and metrics: ``streammsa.training.benchmarks.mosi_text``. Token features
are cached in --cache-dir.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from streammsa.errors import StreamMSAError
from streammsa.paths import docs_dir, shared_data
from streammsa.training.benchmarks.mosi_text import (
    build_cache,
    load_splits,
    markdown,
    read_labels,
    train_text_only,
    vader_scores,
)
from streammsa.training.benchmarks.results_file import device_label, write_section

DEFAULT_MD = str(docs_dir() / "results.md") if docs_dir() else ""


def _save(path: Path, args: argparse.Namespace, device: str, minutes: float, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = {k: str(v) for k, v in vars(args).items()}
    path.write_text(json.dumps({"args": saved, "device": device, "minutes": minutes, "results": results}, indent=1))


def report_from_json(args: argparse.Namespace) -> int:
    """Rebuild the table from --json-out files (runs trained elsewhere), scoring VADER here."""
    results, devices, minutes = {}, set(), 0.0
    for f in args.from_json:
        doc = json.loads(f.read_text())
        devices.add(doc["device"])
        minutes += float(doc["minutes"])
        for k in ("seeds", "epochs", "patience", "batch_size", "lr", "device"):
            setattr(args, k, doc["args"][k])
        for corpus, res in doc["results"].items():
            vader = vader_scores(read_labels(args.data / corpus / "label.csv"))
            results[corpus] = {"runs": res["runs"], "vader": vader}
    body = markdown(results, args, "; ".join(sorted(devices)), minutes)
    print(body)
    if args.md:
        write_section(Path(args.md), "text-" + "-".join(results), body)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--corpora", default="mosi,mosei")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--device", default="auto")
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "streammsa" / "text")
    p.add_argument("--json-out", type=Path)
    p.add_argument("--md", default=DEFAULT_MD, help="results file to update ('' = don't)")
    p.add_argument("--extract-only", action="store_true")
    p.add_argument(
        "--cache-file",
        action="append",
        default=[],
        metavar="CORPUS=NPZ",
        help="use this token cache (no label.csv needed)",
    )
    p.add_argument("--no-vader", action="store_true", help="skip VADER (e.g. on a host without the transcripts)")
    p.add_argument(
        "--from-json", type=Path, nargs="+", help="only rebuild the report from earlier --json-out files (adds VADER)"
    )
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    if args.from_json:
        return report_from_json(args)
    t0 = time.perf_counter()
    results = {}
    given = dict(item.split("=", 1) for item in args.cache_file)
    for corpus in [c.strip() for c in args.corpora.split(",") if c.strip()]:
        if corpus in given:
            cache = Path(given[corpus])
        else:
            cache = build_cache(corpus, read_labels(args.data / corpus / "label.csv"), args.cache_dir)
        if args.extract_only:
            continue
        splits, spec = load_splits(cache)
        runs = []
        for seed in range(1, args.seeds + 1):
            r = train_text_only(splits, spec, seed, args)
            runs.append(r)
            t = r["test"]
            print(
                f"{corpus} text_only seed {seed}: MAE {t['MAE']:.3f} Acc2 {t['Non0_acc_2']:.3f} "
                f"Acc7 {t['Mult_acc_7']:.3f}",
                flush=True,
            )
            if args.json_out:  # after every seed, so an interrupted run keeps what it measured
                partial = {**results, corpus: {"runs": runs}}
                _save(args.json_out, args, args.device, (time.perf_counter() - t0) / 60, partial)
        results[corpus] = {"runs": runs}
        if not args.no_vader:
            v = results[corpus]["vader"] = vader_scores(read_labels(args.data / corpus / "label.csv"))
            print(f"{corpus} VADER: MAE {v['MAE']:.3f} Acc2 {v['Non0_acc_2']:.3f}", flush=True)
    if args.extract_only:
        return 0
    device = device_label(args.device)
    minutes = (time.perf_counter() - t0) / 60
    if args.json_out:
        _save(args.json_out, args, device, minutes, results)
    if args.no_vader:
        return 0
    body = markdown(results, args, device, minutes)
    print(body)
    if args.md:
        write_section(Path(args.md), "text-" + "-".join(results), body)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(parse_args(argv))
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
