"""Run a clip through the monitor and get its messages: the one helper scripts, tests and
programs use instead of wiring a ``Monitor`` and re-reading ``timeline.jsonl`` themselves."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streammsa.engine.alerts import AlertConfig
from streammsa.engine.inference import EngineConfig
from streammsa.monitor.components import Components
from streammsa.monitor.config import DashboardConfig, MonitorConfig
from streammsa.monitor.run import Monitor, RunResult
from streammsa.monitor.sinks import CollectingSink


@dataclass
class ReplayRun:
    messages: list[dict[str, Any]]  # every message as the timeline stores it, hello first
    result: RunResult

    @property
    def readings(self) -> list[dict[str, Any]]:
        """One per window, as it finally stood (its last revision); ``of_type("reading")`` has every message."""
        from streammsa.recorder.readings import latest_readings

        return latest_readings(self.messages)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]


def replay_messages(
    path: str | Path,
    *,
    engine: EngineConfig | None = None,
    config: MonitorConfig | None = None,
    fast: bool = True,
    speed: float = 1.0,
    components: Components | None = None,
    out_dir: Path | None = None,
    alerts: AlertConfig | None = None,
) -> ReplayRun:
    """Replay ``path`` headless (no dashboard, no progress bar) and return what it emitted.

    ``config`` is the base configuration (default: ``MonitorConfig(engine=engine)``); ``out_dir``
    also records the timeline and report there. Pass ``components`` to reuse loaded models.
    """
    from streammsa.capture.media_file import MediaFileSource

    base = config or MonitorConfig(engine=engine or EngineConfig())
    cfg = dataclasses.replace(
        base,
        out_dir=Path(out_dir) if out_dir is not None else base.out_dir,
        speed=None if fast else speed,
        progress=False,
        dashboard=DashboardConfig(enabled=False),
        alerts=alerts if alerts is not None else base.alerts,
    )
    sink = CollectingSink()
    source = MediaFileSource(Path(path))
    monitor = Monitor(cfg, [source], components=components, sinks=[sink], source_name=Path(path).name)
    result = monitor.run()
    return ReplayRun(messages=sink.dicts(), result=result)
