"""`streammsa batch DIR_OR_GLOB --out DIR`: many recorded files through the monitor (``streammsa/batch/``).

Each worker loads the models once; every file runs as ``streammsa replay FILE --fast`` would and gets
its own folder of outputs; ``summary.csv`` lists every file. Rerunning the same command skips what is
done (a crash or kill loses at most the files in flight).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streammsa.asr import options as asr_options
from streammsa.commands.monitor_options import add_model_arguments
from streammsa.engine.alerts import AlertConfig

HELP = "Process a folder (or glob) of recorded files: per-file reports plus one summary CSV"
DESCRIPTION = (
    "Run every media file of a folder (searched recursively) or a glob pattern through the monitor, as "
    "`replay --fast` would, with the models loaded once per worker. Each file gets a folder in --out (timeline, "
    "CSVs, report, subtitles); --out/summary.csv has one row per file (duration, readings, mean intensity per "
    "modality, alerts, status). Rerun the same command to resume: finished files are skipped. A file that fails "
    "is reported in the summary and the batch goes on. Exit code 1 when some file failed."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", metavar="DIR_OR_GLOB", help="a folder, a quoted glob pattern ('calls/**/*.wav') or one file"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="output folder (created; the same one resumes)"
    )
    g = parser.add_argument_group("workers")
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes, each loading the models once (default: 1 locally; with Ray one per GPU, else per CPU)",
    )
    g.add_argument(
        "--backend", choices=("local", "ray"), default="local", help="local processes (default) or a Ray cluster"
    )
    g.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="Ray cluster address (e.g. ray://head:10001 or auto); implies --backend ray. "
        "Without it, --backend ray starts a local Ray cluster",
    )
    g.add_argument("--retry-failed", action="store_true", help="process again the files that failed in earlier runs")
    add_model_arguments(parser)
    asr_options.add_arguments(parser)
    a = parser.add_argument_group("alerts")
    a.add_argument(
        "--conflict-threshold",
        type=float,
        default=None,
        help="conflict alert raise threshold, a probability that two modalities read opposite polarities "
        f"(default: the checkpoint's calibrated value, else {AlertConfig.conflict_raise})",
    )
    a.add_argument(
        "--negative-threshold",
        type=float,
        default=None,
        help="sustained-negative alert threshold "
        f"(default: the checkpoint's calibrated value, else {AlertConfig.negative_raise})",
    )


def monitor_config_from_args(args: argparse.Namespace):  # -> MonitorConfig (imported lazily for --help)
    from streammsa.asr.options import configs_from_args
    from streammsa.commands.monitor_options import reader_choice
    from streammsa.engine.inference import EngineConfig
    from streammsa.monitor.config import AlertThresholds, DashboardConfig, MonitorConfig

    whisper, online = configs_from_args(args)
    return MonitorConfig(
        whisper=whisper,
        online_asr=online,
        text_reader=reader_choice(args.text_reader),
        voice_reader=reader_choice(args.voice_reader),
        face_reader=reader_choice(args.face_reader),
        face_stride=args.face_stride,
        speed=None,
        progress=False,
        engine=EngineConfig(model=args.model, checkpoint=args.checkpoint, untrained=args.untrained, device=args.device),
        thresholds=AlertThresholds(conflict=args.conflict_threshold, negative=args.negative_threshold),
        dashboard=DashboardConfig(enabled=False),
    )


def run(args: argparse.Namespace) -> int:
    from streammsa.batch import BatchConfig, run_batch

    config = BatchConfig(
        inputs=args.inputs,
        out_dir=args.out,
        monitor=monitor_config_from_args(args),
        workers=args.workers,
        backend="ray" if args.ray else args.backend,
        ray_address=args.ray,
        retry_failed=args.retry_failed,
        progress=not args.quiet,
    )
    print(f"batch folder: {args.out}", flush=True)
    rep = run_batch(config)
    failed = [r for r in rep.results if not r.ok]
    rate = f"; {rep.files_per_hour:.0f} files/hour, {rep.x_realtime:.1f}x real time" if rep.files_per_hour else ""
    print(
        f"{'interrupted' if rep.interrupted else 'done'}: {rep.total} files, {rep.processed} processed now "
        f"({rep.failed} failed), {rep.skipped} done earlier, in {rep.wall_s:.1f} s{rate}",
        flush=True,
    )
    for r in rep.results:
        if r.status != "ok":
            print(f"{'failed' if not r.ok else r.status}: {r.file}: {r.error}", flush=True)
    print(f"summary: {rep.summary_csv}", flush=True)
    if rep.interrupted:
        return 130
    return 1 if failed else 0
