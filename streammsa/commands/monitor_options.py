"""The command-line options shared by live / replay / demo, and the ``MonitorConfig`` they make.

``streammsa.monitor`` is imported when a config is made, not to build the parser: the package imports
torch, and every command line is parsed before anything else starts (issue #12, start-up).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from streammsa.engine.alerts import AlertConfig
from streammsa.engine.inference import EngineConfig
from streammsa.errors import InputError, UsageError
from streammsa.features.vision import DEFAULT_FACE_STRIDE, FAST_FACE_STRIDE, face_stride

if TYPE_CHECKING:
    from streammsa.monitor.config import MonitorConfig


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("model")
    g.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="trained checkpoint (default: models/<model>_monitor.pt when it exists)",
    )
    g.add_argument(
        "--model", default="cacr", help="model architecture when no checkpoint is given: cacr (default) or dbr"
    )
    g.add_argument(
        "--untrained",
        action="store_true",
        help="run an UNTRAINED model when no trained checkpoint exists "
        "(readings are marked trained=false: not sentiment)",
    )
    g.add_argument(
        "--text-reader",
        metavar="PATH|head",
        default=None,
        help="what reads the words: the shipped text reader (default: models/text_reader.pt), another reader file, "
        "or 'head' for the fusion model's own text head",
    )
    g.add_argument(
        "--voice-reader",
        metavar="PATH|head",
        default=None,
        help="what reads the voice: the shipped voice reader (default: models/voice_reader.npz), another reader "
        "file, or 'head' for the fusion model's own voice head",
    )
    g.add_argument(
        "--face-reader",
        metavar="PATH|head",
        default=None,
        help="the face reading shown: the shipped face reader (default: models/face_reader.npz), another reader "
        "file, or 'head' for the fusion model's own face head; the conflict signal reads the face reader and the "
        "head together either way",
    )
    g.add_argument(
        "--face-stride",
        metavar="N",
        type=_face_stride,
        default=None,
        help=f"analyse the face in one of every N slots of the model's face rate, each analysed frame standing for "
        f"the slots up to the next (default {DEFAULT_FACE_STRIDE}: 5 frames a second for the 10-fps models, which "
        f"read the same as 10 at half the cost; {FAST_FACE_STRIDE} with --fast; 1 = every slot; meetings analyse "
        "every slot)",
    )
    g.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="inference device (default: auto = CUDA when available)",
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("output")
    g.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="run folder for timeline.jsonl/csv and the report (default: runs/<timestamp>-<source>/)",
    )
    g.add_argument(
        "--stream", default="main", help="stream id shown on the dashboard and in the timeline (default: main)"
    )
    g.add_argument(
        "--participants",
        type=participants_option,
        default=None,
        metavar="N|auto",
        help="a meeting: read each person (one voice + one face) as their own stream; N people expected, "
        "or auto (default: one stream for everything heard and the most confident face)",
    )
    g.add_argument(
        "--text-wait",
        type=float,
        default=None,  # WorkerConfig.text_max_lag_s (config_from_args)
        metavar="S",
        help="live/paced: seconds a reading may wait for words still being recognised "
        "(default 0: on time; e.g. 2.5 puts nearly every word in every window that holds it, "
        "readings ~2.5 s later)",
    )
    g.add_argument(
        "--conflict-threshold",
        type=float,
        default=None,
        help="conflict alert raise threshold, a probability that two modalities read opposite polarities "
        f"(default: the checkpoint's calibrated value, else {AlertConfig.conflict_raise})",
    )
    g.add_argument(
        "--negative-threshold",
        type=float,
        default=None,
        help="sustained-negative alert threshold "
        f"(default: the checkpoint's calibrated value, else {AlertConfig.negative_raise})",
    )


def add_dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("dashboard")
    g.add_argument("--no-dashboard", action="store_true", help="run headless: no WebSocket/HTTP server")
    g.add_argument(
        "--host",
        default="127.0.0.1",
        help="dashboard bind address (default: %(default)s; non-loopback needs --token)",
    )
    g.add_argument("--port", type=int, default=8765, help="dashboard port (default: %(default)s; 0 = any free port)")
    g.add_argument("--token", default=None, help="access token required by the dashboard (needed off loopback)")
    g.add_argument("--open", action="store_true", help="open the dashboard in a browser")


def participants_option(value: str) -> int:
    """``--participants N|auto``: 0 for auto."""
    if value.strip().lower() == "auto":
        return 0
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 1 <= n <= 8:
        raise argparse.ArgumentTypeError(f"--participants takes a number of people from 1 to 8, or auto; got {value!r}")
    return n


def _face_stride(value: str) -> int:
    try:
        return face_stride(int(value))
    except (ValueError, InputError):
        raise argparse.ArgumentTypeError(f"--face-stride takes a whole number of slots >= 1, got {value!r}") from None


def config_from_args(args: argparse.Namespace, *, source_name: str, speed: float | None, live: bool) -> MonitorConfig:
    if speed is not None and speed <= 0:
        raise UsageError(f"--speed must be positive, got {speed}")
    from streammsa.asr.options import configs_from_args
    from streammsa.monitor.config import AlertThresholds, DashboardConfig, MonitorConfig, WorkerConfig, default_out_dir

    text_wait = getattr(args, "text_wait", None)
    out = args.out if args.out is not None else default_out_dir(source_name)
    whisper, online = configs_from_args(args)
    return MonitorConfig(
        whisper=whisper,
        online_asr=online,
        stream=args.stream,
        participants=getattr(args, "participants", None),
        text_reader=reader_choice(getattr(args, "text_reader", None)),
        voice_reader=reader_choice(getattr(args, "voice_reader", None)),
        face_reader=reader_choice(getattr(args, "face_reader", None)),
        face_stride=getattr(args, "face_stride", None),
        out_dir=Path(out),
        speed=speed,
        live=live,
        progress=not getattr(args, "quiet", False),
        engine=EngineConfig(model=args.model, checkpoint=args.checkpoint, untrained=args.untrained, device=args.device),
        thresholds=AlertThresholds(conflict=args.conflict_threshold, negative=args.negative_threshold),
        dashboard=DashboardConfig(
            enabled=not args.no_dashboard, host=args.host, port=args.port, token=args.token, open_browser=args.open
        ),
        workers=WorkerConfig(text_max_lag_s=WorkerConfig.text_max_lag_s if text_wait is None else max(0.0, text_wait)),
        # someone at a terminal watching a replay keeps the finished dashboard to look at; scripts do not hang
        keep_dashboard_open=(not args.no_dashboard) and not live and sys.stdin.isatty(),
    )


def reader_choice(value: str | None) -> Path | Literal["head"] | None:
    """``--*-reader``: "head" (the fusion model's head), "shipped" or None (the shipped reader), or a file."""
    if value is None or value == "shipped":
        return None
    if value == "head":
        return "head"
    return Path(value)
