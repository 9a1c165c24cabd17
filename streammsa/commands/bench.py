"""`streammsa bench`: speed and memory benchmarks (figures for docs/benchmarks.md, never timed tests)."""

from __future__ import annotations

import argparse
import json
import sys

from streammsa import log
from streammsa.commands.monitor_options import participants_option
from streammsa.errors import UsageError

HELP = "Benchmark model speed (`bench model`) and the replay pipeline (`bench pipeline FILE`)"

_log = log.get("bench")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", metavar="TARGET")
    m = sub.add_parser(
        "model",
        help="parameters, CPU batch-1 latency, batch-64 throughput; CUDA batch-256 with autocast if a GPU is present",
    )
    m.add_argument(
        "--models",
        nargs="+",
        default=["cacr", "dbr", "late_fusion"],
        help="registry names (default: cacr dbr late_fusion)",
    )
    m.add_argument("--repeats", type=int, default=200, help="timed forwards at batch 1 (default 200)")
    m.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (default 1, as the monitor runs the model)"
    )
    m.add_argument("--cuda-batch", type=int, default=256, help="batch size for the GPU figures (default 256)")
    m.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    p = sub.add_parser(
        "pipeline", help="replay throughput, window latency p50/p95, word commit latency, peak RSS, stage breakdown"
    )
    p.add_argument("file", nargs="?", help="media file (default: the embedded demo clip)")
    p.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object instead of markdown: {"startup_s", "runs": {"fast": {...}, "paced": {...}}, ...}',
    )
    p.add_argument(
        "--skip-paced", action="store_true", help="only the --fast replay (the paced run takes as long as the clip)"
    )
    p.add_argument(
        "--skip-startup",
        action="store_true",
        help="do not launch a fresh `streammsa replay` to time start-up to its first reading",
    )
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--participants",
        type=participants_option,
        default=None,
        metavar="N|auto",
        help="replay as a meeting: one stream per person (as `replay --participants`)",
    )
    p.add_argument(
        "--streams", type=int, default=0, help="also measure how many concurrent 1-Hz streams the model sustains (GPU)"
    )


def run(args: argparse.Namespace) -> int:
    if args.target == "model":
        return _bench_model(args)
    if args.target == "pipeline":
        from streammsa.bench.pipeline_speed import run_cli

        return run_cli(args)
    raise UsageError("choose what to benchmark: `streammsa bench model` or `streammsa bench pipeline [FILE]`")


def _bench_model(args: argparse.Namespace) -> int:
    import torch

    from streammsa.bench import model_speed
    from streammsa.features.defaults import default_feature_spec
    from streammsa.models.registry import available

    unknown = [m for m in args.models if m not in available()]
    if unknown:
        raise UsageError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(available())}")
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = default_feature_spec()
    results = []
    for name in args.models:
        _log.info("measuring %s ...", name)
        results.append(model_speed.measure(name, spec, repeats=args.repeats, cuda_batch=args.cuda_batch))
    if args.json:
        json.dump(
            {"environment": model_speed.environment(), "results": model_speed.as_dict(results)}, sys.stdout, indent=2
        )
        print()
    else:
        env = model_speed.environment()
        print(f"torch {env['torch']}, {env['threads']} CPU threads, CUDA: {env['cuda']}\n")
        print(model_speed.to_markdown(results, spec))
    return 0
