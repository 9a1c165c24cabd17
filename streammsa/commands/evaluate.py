"""`streammsa eval`: evaluate a checkpoint on a data split with the MMSA metrics."""

from __future__ import annotations

import argparse
import json
import math

from streammsa.errors import InputError

HELP = "Evaluate a checkpoint with the MMSA metrics"
DESCRIPTION = (
    "Run a trained checkpoint over one split of an MMSA pickle or a feature directory and print the MMSA metrics."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a .pt file written by `streammsa train`")
    parser.add_argument("--data", required=True, metavar="PATH", help="MMSA pickle (.pkl) or feature directory")
    parser.add_argument("--split", default="test", choices=["train", "valid", "test"])
    parser.add_argument(
        "--metric-set", choices=["mosi", "mosei", "sims"], help="default: the one the checkpoint was trained with"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _jsonable(v: float) -> float | None:
    return None if (isinstance(v, float) and not math.isfinite(v)) else v


def run(args: argparse.Namespace) -> int:
    from streammsa.models.checkpoint import load_model
    from streammsa.models.device import resolve_device
    from streammsa.training.dataset import load_split
    from streammsa.training.metrics import format_table
    from streammsa.training.trainer import evaluate

    device = resolve_device(args.device)
    model, meta = load_model(args.checkpoint, device)
    ds = load_split(args.data, args.split)
    if len(ds) == 0:
        raise InputError(f"{args.data}: split '{args.split}' holds no samples")
    problems = ds.spec.compatible_with(meta["spec"])
    if problems:
        raise InputError(
            f"{args.data} was not made with the features this checkpoint expects: {'; '.join(problems[:3])}"
        )
    metric_set = args.metric_set or meta.get("train_args", {}).get("metric_set", "mosi")
    scores, _ = evaluate(model, ds.with_spec(meta["spec"]), device, metric_set, batch_size=args.batch_size)
    if args.json:
        print(
            json.dumps(
                {
                    "checkpoint": str(args.checkpoint),
                    "model": meta["model_name"],
                    "data": str(args.data),
                    "split": args.split,
                    "samples": len(ds),
                    "metric_set": metric_set,
                    "metrics": {k: _jsonable(v) for k, v in scores.items()},
                }
            )
        )
    else:
        print(f"{meta['model_name']} on {args.data} [{args.split}, {len(ds)} samples, {metric_set} metrics]")
        print(format_table(scores))
    return 0
