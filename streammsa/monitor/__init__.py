"""The monitor: sources -> capture -> ASR + features -> windows -> model -> readings -> sinks.

- ``config``: the typed configuration of a run (``MonitorConfig``) and where alert thresholds are decided;
- ``components``: the heavy models, built once and reusable across runs;
- ``graph``: ``wire()``, the data flow of one run read top to bottom;
- ``workers``: the per-modality feature threads between capture and the caches;
- ``loop``: the engine loop (ready windows -> model -> readings and alerts);
- ``sinks``: where messages go (timeline, report, dashboard, a collecting sink);
- ``run``: ``Monitor``, one run's lifecycle; ``replay``: "run a clip, give me the messages".
"""

from streammsa.monitor.components import Components
from streammsa.monitor.config import AlertThresholds, DashboardConfig, MonitorConfig, WorkerConfig, resolve_alerts
from streammsa.monitor.replay import ReplayRun, replay_messages
from streammsa.monitor.run import Monitor, RunResult, StreamBrokenError
from streammsa.monitor.sinks import CollectingSink, DashboardSink, ReportSink, Sink

__all__ = [
    "AlertThresholds",
    "CollectingSink",
    "Components",
    "DashboardConfig",
    "DashboardSink",
    "Monitor",
    "MonitorConfig",
    "ReplayRun",
    "ReportSink",
    "RunResult",
    "Sink",
    "StreamBrokenError",
    "WorkerConfig",
    "replay_messages",
    "resolve_alerts",
]
