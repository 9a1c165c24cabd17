"""Typed configuration of the monitor pipeline; the CLI flags of replay/live/demo map onto it."""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from streammsa.asr.online import OnlineConfig
from streammsa.asr.whisper_backend import WhisperConfig
from streammsa.engine.alerts import AlertConfig
from streammsa.engine.inference import EngineConfig
from streammsa.errors import UsageError


@dataclass(frozen=True)
class DashboardConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    open_browser: bool = False


@dataclass(frozen=True)
class WorkerConfig:
    """How the capture -> features path is buffered and how often ASR decodes."""

    queue_packets: int = 256  # per worker; a paced/fast replay blocks when full, live drops the oldest video
    # live/paced: how long a window may wait for words still being decided. LocalAgreement commits a
    # word ~1.5-2.5 s after it is spoken; waiting for that would put every reading seconds behind.
    # 0 = readings on time (latency goal p50 <= 150 ms); a word committed later still joins the
    # later windows that contain it (each word lies in window_s/hop_s = 4 windows).
    text_max_lag_s: float = 0.0
    poll_s: float = 0.02  # how often the engine loop looks for ready windows


@dataclass(frozen=True)
class PipelineConfig:
    stream: str = "main"
    out_dir: Path | None = None  # None: no recorder (tests of the engine alone)
    speed: float | None = 1.0  # replay pacing: x real time; None = as fast as possible (--fast)
    live: bool = False
    progress: bool = True
    write_report: bool = True
    engine: EngineConfig = field(default_factory=EngineConfig)
    alerts: AlertConfig | None = None  # None: the checkpoint's calibrated thresholds, else AlertConfig()
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    workers: WorkerConfig = field(default_factory=WorkerConfig)
    whisper: WhisperConfig = field(default_factory=WhisperConfig)
    online_asr: OnlineConfig = field(default_factory=OnlineConfig)  # paced/live; --fast uses the batch recogniser
    keep_dashboard_open: bool = False  # after a replay ends, serve the dashboard until Ctrl-C

    @property
    def fast(self) -> bool:
        return self.speed is None


def default_out_dir(source_name: str, root: Path = Path("runs")) -> Path:
    """runs/<UTC timestamp>-<source name>/ (a fresh folder per run)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", source_name).strip("_") or "stream"
    return root / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{safe}"


# ---- CLI flags shared by replay / live / demo ---------------------------------------------------


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("model")
    g.add_argument("--checkpoint", type=Path, metavar="PATH", help="trained checkpoint (default: models/<model>_live.pt when it exists)")
    g.add_argument("--model", default="cacr", help="model architecture when no checkpoint is given: cacr (default) or dbr")
    g.add_argument(
        "--untrained",
        action="store_true",
        help="run an UNTRAINED model when no trained checkpoint exists (readings are marked trained=false: not sentiment)",
    )
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="inference device (default: auto = CUDA when available)")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("output")
    g.add_argument("--out", type=Path, metavar="DIR", help="run folder for timeline.jsonl/csv and the report (default: runs/<timestamp>-<source>/)")
    g.add_argument("--stream", default="main", help="stream id shown on the dashboard and in the timeline (default: main)")
    g.add_argument(
        "--text-wait",
        type=float,
        default=WorkerConfig.text_max_lag_s,
        metavar="S",
        help="live/paced: seconds a reading may wait for words still being recognised "
        "(default %(default)s: on time; e.g. 2.5 puts nearly every word in every window that holds it, readings ~2.5 s later)",
    )
    g.add_argument(
        "--conflict-threshold",
        type=float,
        default=None,
        help=f"conflict alert raise threshold (default: the checkpoint's calibrated value, else {AlertConfig.conflict_raise})",
    )
    g.add_argument(
        "--negative-threshold",
        type=float,
        default=None,
        help=f"sustained-negative alert threshold (default: the checkpoint's calibrated value, else {AlertConfig.negative_raise})",
    )


def add_dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("dashboard")
    g.add_argument("--no-dashboard", action="store_true", help="run headless: no WebSocket/HTTP server")
    g.add_argument("--host", default="127.0.0.1", help="dashboard bind address (default: %(default)s; non-loopback needs --token)")
    g.add_argument("--port", type=int, default=8765, help="dashboard port (default: %(default)s; 0 = any free port)")
    g.add_argument("--token", default=None, help="access token required by the dashboard (needed off loopback)")
    g.add_argument("--open", action="store_true", help="open the dashboard in a browser")


def alert_config_for(engine: EngineConfig) -> AlertConfig:
    """The alert thresholds for the checkpoint ``engine`` will load: its calibrated ones (meta["alerts"]), else the defaults."""
    from streammsa.engine.inference import resolve_checkpoint
    from streammsa.errors import InputError

    try:
        ckpt = resolve_checkpoint(engine)
    except (UsageError, InputError):
        return AlertConfig()  # building the engine reports the missing checkpoint with its own message
    if ckpt is None:
        return AlertConfig()
    from streammsa.training.checkpoint import read_checkpoint

    return AlertConfig.from_calibration(read_checkpoint(ckpt).get("alerts"))


def _alert_config(args: argparse.Namespace, engine: EngineConfig) -> AlertConfig:
    base = alert_config_for(engine)
    conflict = args.conflict_threshold
    negative = args.negative_threshold
    if conflict is None and negative is None:
        return base
    # a threshold moved on the command line keeps the hysteresis gap of the one it replaces
    kw = {}
    if conflict is not None:
        kw.update(conflict_raise=float(conflict), conflict_clear=float(conflict) - (base.conflict_raise - base.conflict_clear))
    if negative is not None:
        kw.update(negative_raise=float(negative), negative_clear=float(negative) + (base.negative_clear - base.negative_raise))
    return replace(base, **kw)


def config_from_args(args: argparse.Namespace, *, source_name: str, speed: float | None, live: bool) -> PipelineConfig:
    if speed is not None and speed <= 0:
        raise UsageError(f"--speed must be positive, got {speed}")
    from streammsa.asr.options import configs_from_args

    out = args.out if args.out is not None else default_out_dir(source_name)
    whisper, online = configs_from_args(args)
    engine = EngineConfig(model=args.model, checkpoint=args.checkpoint, untrained=args.untrained, device=args.device)
    return PipelineConfig(
        whisper=whisper,
        online_asr=online,
        stream=args.stream,
        out_dir=Path(out),
        speed=speed,
        live=live,
        progress=not getattr(args, "quiet", False),
        engine=engine,
        alerts=_alert_config(args, engine),
        dashboard=DashboardConfig(
            enabled=not args.no_dashboard, host=args.host, port=args.port, token=args.token, open_browser=args.open
        ),
        # someone at a terminal watching a replay keeps the finished dashboard to look at; scripts do not hang
        workers=WorkerConfig(text_max_lag_s=max(0.0, float(getattr(args, "text_wait", WorkerConfig.text_max_lag_s)))),
        keep_dashboard_open=(not args.no_dashboard) and not live and sys.stdin.isatty(),
    )
