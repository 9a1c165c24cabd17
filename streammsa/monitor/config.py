"""Typed configuration of one monitor run; the CLI options of live/replay/demo map onto it
(``streammsa/commands/monitor_options.py``)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from streammsa.asr.engines import StreamingConfig
from streammsa.asr.whisper_backend import WhisperConfig
from streammsa.engine.alerts import AlertConfig
from streammsa.engine.inference import EngineConfig
from streammsa.features.vision import DEFAULT_FACE_STRIDE, FAST_FACE_STRIDE, face_stride


@dataclass(frozen=True)
class DashboardConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    open_browser: bool = False


@dataclass(frozen=True)
class WorkerConfig:
    """How the capture -> features path is buffered and how long readings wait for words."""

    queue_packets: int = 256  # per worker; a paced/fast replay blocks when full, live drops the oldest video
    # --fast: audio packets queued per audio worker (about 2 min of audio), so a file's audio is decoded well
    # ahead of the slowest audio stage and the recogniser starts at once (MediaFileSource.apart)
    fast_audio_queue_packets: int = 2048
    # live/paced: how long a window may wait for words still being decided. LocalAgreement commits a
    # word ~1.5-2.5 s after it is spoken; waiting for that would put every reading seconds behind.
    # 0 = readings on time (latency goal p50 <= 150 ms); a word committed later revises the readings
    # of the windows that contain it (monitor/loop.py).
    text_max_lag_s: float = 0.0
    poll_s: float = 0.02  # how often the engine loop looks for ready windows

    def audio_queue_packets(self, fast: bool) -> int:
        """Packets queued per audio worker: ``fast_audio_queue_packets`` in a --fast run, else ``queue_packets``."""
        return self.fast_audio_queue_packets if fast else self.queue_packets


@dataclass(frozen=True)
class AlertThresholds:
    """Command-line overrides of the alert thresholds (None: keep the calibrated or default value)."""

    conflict: float | None = None
    negative: float | None = None


@dataclass(frozen=True)
class MonitorConfig:
    stream: str = "main"
    out_dir: Path | None = None  # None: no recorder (tests of the engine alone)
    speed: float | None = 1.0  # replay pacing: x real time; None = as fast as possible (--fast)
    live: bool = False
    progress: bool = True
    write_report: bool = True
    engine: EngineConfig = field(default_factory=EngineConfig)
    # None: the loaded checkpoint's calibrated thresholds (AlertConfig() without calibration);
    # ``thresholds`` then moves single thresholds on top of whichever applies
    alerts: AlertConfig | None = None
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    workers: WorkerConfig = field(default_factory=WorkerConfig)
    whisper: WhisperConfig = field(default_factory=WhisperConfig)
    # paced/live recogniser (--asr-engine); --fast uses the batch recogniser
    online_asr: StreamingConfig = field(default_factory=StreamingConfig)
    keep_dashboard_open: bool = False  # after a replay ends, serve the dashboard until Ctrl-C
    # meetings (--participants): None = one stream (the default cost); 0 = each person their own stream,
    # how many found automatically; N = the same, with N people expected
    participants: int | None = None
    # the text reading (models/text_reader.py): None = the shipped reader, a path = that reader,
    # "head" = the fusion model's own text head (as before the reader existed)
    text_reader: Path | Literal["head"] | None = None
    # the voice reading (models/voice_reader.py, over Whisper encoder states): None = the shipped reader, a path =
    # that reader, "head" = the fusion model's own voice head over the prosody
    voice_reader: Path | Literal["head"] | None = None
    # the face reading shown: None = the shipped face reader (models/face_reader.py), a path = that reader,
    # "head" = the fusion model's own face head. The reader ranks faces of people it never saw as well as the
    # expression classifier does and reads neutral faces near 0 (the head read a quarter of them below -1:
    # docs/live-results.md, session 12); the conflict signal reads the reader and the head together either way
    face_reader: Path | Literal["head"] | None = None
    # faces analysed in one of every ``face_stride`` slots of the model's face rate, each analysed frame's features
    # standing for the slots up to the next; None = the run's default (``analysed_face_stride``)
    face_stride: int | None = None

    @property
    def fast(self) -> bool:
        return self.speed is None

    @property
    def analysed_face_stride(self) -> int:
        """The run's face stride: as given, else 2 (5 faces a second for the 10-fps checkpoints, which read as at
        10: docs/benchmarks.md, session 17) and 4 in --fast (2.5 a second: session 19). A meeting's face tracks
        analyse every slot whatever it says (they link faces frame to frame: ``monitor/participants_setup.py``)."""
        if self.face_stride is not None:
            return face_stride(self.face_stride)
        return FAST_FACE_STRIDE if self.fast else DEFAULT_FACE_STRIDE

    @property
    def mode(self) -> str:
        return "live" if self.live else ("fast" if self.fast else f"paced x{self.speed:g}")


def resolve_alerts(config: MonitorConfig, checkpoint_meta: dict) -> AlertConfig:
    """The one place alert thresholds are decided: explicit config, else the checkpoint's calibration,
    else the defaults; then the command line's single-threshold overrides."""
    base = config.alerts if config.alerts is not None else AlertConfig.from_calibration(checkpoint_meta.get("alerts"))
    return base.with_thresholds(conflict=config.thresholds.conflict, negative=config.thresholds.negative)


def default_out_dir(source_name: str, root: Path = Path("runs")) -> Path:
    """runs/<UTC timestamp>-<source name>/ (a fresh folder per run)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", source_name).strip("_") or "stream"
    return root / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{safe}"
