"""What replay / live / demo print around a monitor run (stdout: where things are; stderr: progress)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from streammsa.recorder.report import UNTRAINED_NOTE

if TYPE_CHECKING:  # the pipeline (PyAV, OpenCV, ...) loads when a run starts, not for --help
    from streammsa.monitor import Monitor, MonitorConfig, RunResult


def print_run_folder(config: MonitorConfig) -> None:
    """First thing a run prints, before any model loads: where its files will be."""
    if config.out_dir is not None:
        print(f"run folder: {config.out_dir}", flush=True)


def print_start(monitor: Monitor, config: MonitorConfig) -> None:
    eng = monitor.engine
    print(f"model: {eng.name} on {eng.device} ({'trained' if eng.trained else 'UNTRAINED'})", flush=True)
    if not eng.trained:
        print(f"WARNING: {UNTRAINED_NOTE}", file=sys.stderr, flush=True)
    if monitor.dashboard_url:
        print(f"dashboard: {monitor.dashboard_url}", flush=True)


def print_summary(result: RunResult, config: MonitorConfig) -> None:
    how = "interrupted" if result.interrupted else "done"
    print(
        f"{how}: {result.readings} readings over {result.duration_s:.1f} s of stream in {result.wall_s:.1f} s; "
        f"{result.alerts} alert events",
        flush=True,
    )
    if result.transcript:
        print(f"transcript: {result.transcript}", flush=True)
    if config.out_dir is not None:
        print(f"timeline: {config.out_dir / 'timeline.jsonl'}  report: {config.out_dir / 'report.html'}", flush=True)


def linger(monitor: Monitor, config: MonitorConfig) -> None:
    """Keep serving the finished dashboard until Ctrl-C (interactive replays only)."""
    try:
        if config.keep_dashboard_open and monitor.dashboard_url:
            print(f"replay finished; the dashboard stays at {monitor.dashboard_url} until you press Ctrl-C", flush=True)
            while True:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        monitor.close()
