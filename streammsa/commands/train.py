"""`streammsa train`: train a sentiment model (CACR, DBR, baselines) and write a checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from streammsa.errors import InputError, UsageError

HELP = "Train a sentiment model (CACR, DBR, baselines) on an MMSA pickle or a feature directory"
DESCRIPTION = (
    "Train a model with Adam and early stopping on the validation split; the best epoch is written as a "
    "checkpoint carrying the model config, the FeatureSpec (with normalisation), metrics and code version. "
    "DATA is an MMSA feature pickle (.pkl) or a feature directory (docs/feature-format.md)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="cacr", help="registered model name (default: cacr)")
    parser.add_argument("--data", required=True, metavar="PATH", help="MMSA pickle (.pkl) or feature directory")
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON mapping of model config values")
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one model config value (repeatable), e.g. --set caw=false",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW: weight matrices only (default 0.01)")
    parser.add_argument("--optimizer", default="adamw", choices=["adamw", "adam"], help="adam: the pre-#11 trainer")
    parser.add_argument("--schedule", default="plateau", choices=["plateau", "cosine", "none"], help="lr schedule")
    parser.add_argument("--warmup-epochs", type=float, default=1.0, help="linear lr warm-up (default 1 epoch)")
    parser.add_argument(
        "--attention-dropout",
        type=float,
        default=None,
        metavar="P",
        help="dropout on attention weights while training (default: the model's dropout); 0 trains about 40%% "
        "faster on a CPU, where drawing a mask per attention weight dominates a small model's step",
    )
    parser.add_argument("--patience", type=int, default=8, help="epochs without validation improvement before stopping")
    parser.add_argument(
        "--metric",
        default="MAE",
        help="validation metric for early stopping and model selection (default: MAE; or loss, Non0_acc_2, ...)",
    )
    parser.add_argument(
        "--metric-set",
        default="mosi",
        choices=["mosi", "mosei", "sims"],
        help="label scale: mosi/mosei [-3,3], sims [-1,1]",
    )
    parser.add_argument(
        "--out", default="models/model.pt", metavar="FILE", help="checkpoint path (default: models/model.pt)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run whose state is next to --out (FILE.state)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _parse_value(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = _parse_value(value.strip())
    return out


def read_config_file(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"--config: file not found: {p}")
    import yaml

    text = p.read_text()
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:  # json.JSONDecodeError is a ValueError
        kind = "JSON" if p.suffix == ".json" else "YAML"
        raise InputError(f"--config: {p} is not valid {kind} ({exc.__class__.__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"--config: {p} must hold a mapping of config keys to values")
    return data


def run(args: argparse.Namespace) -> int:
    from streammsa.training.metrics import format_table
    from streammsa.training.trainer import TrainOptions, train_model

    overrides = read_config_file(args.config) if args.config else {}
    overrides.update(parse_sets(args.sets))
    opts = TrainOptions(
        model=args.model,
        data=args.data,
        out=args.out,
        overrides=overrides,
        seed=args.seed,
        device=args.device,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        optimizer=args.optimizer,
        schedule=args.schedule,
        warmup_epochs=args.warmup_epochs,
        attention_dropout=args.attention_dropout,
        patience=args.patience,
        metric=args.metric,
        metric_set=args.metric_set,
        resume=args.resume,
        progress=not args.no_progress,
    )
    result = train_model(opts)
    early = " (stopped early)" if result.stopped_early else ""
    print(f"best epoch {result.best_epoch} of {len(result.history)}{early}")
    print(format_table(result.best_valid))
    print(f"checkpoint: {result.checkpoint}")
    return 0
