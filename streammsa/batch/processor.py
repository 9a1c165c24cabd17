"""One worker of a batch: the monitor's components loaded once, then one file at a time through
``replay_messages`` (``--fast``, headless), exactly as ``streammsa replay FILE --fast`` runs it.

A file's outputs are written to a private temporary folder and returned as bytes with its
``FileResult``: the driver commits them (``batch/store.py``), so a worker on another machine (Ray)
needs no shared output folder and a worker that dies mid-file leaves nothing half-written.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from streammsa import log
from streammsa.batch.inputs import BatchJob
from streammsa.batch.results import FileResult
from streammsa.errors import StreamMSAError
from streammsa.monitor.config import DashboardConfig, MonitorConfig

logger = log.get("batch")


@dataclass
class FileOutcome:
    result: FileResult
    files: dict[str, bytes] = field(default_factory=dict)  # output file name -> content


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def batch_monitor_config(config: MonitorConfig) -> MonitorConfig:
    """The run configuration of every file: as fast as possible, headless, no progress bar per file."""
    return dataclasses.replace(
        config,
        speed=None,
        live=False,
        progress=False,
        write_report=True,
        dashboard=DashboardConfig(enabled=False),
        keep_dashboard_open=False,
    )


def crashed(job: BatchJob, detail: str, worker: str = "") -> FileOutcome:
    """The outcome of a file whose worker died while processing it (no outputs survive)."""
    return FileOutcome(
        FileResult(
            file=str(job.path),
            name=job.name,
            status="error",
            error=detail,
            worker=worker,
            size=job.size,
            mtime_ns=job.mtime_ns,
        )
    )


class FileProcessor:
    """Holds the loaded components; ``process(job)`` never raises for a bad file."""

    def __init__(self, config: MonitorConfig) -> None:
        from streammsa.monitor import Components

        self.config = batch_monitor_config(config)
        self.components = Components.build(self.config)
        self.worker = worker_id()

    def process(self, job: BatchJob) -> FileOutcome:
        from streammsa.monitor import replay_messages

        result = FileResult(
            file=str(job.path), name=job.name, status="ok", worker=self.worker, size=job.size, mtime_ns=job.mtime_ns
        )
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="streammsa-batch-") as tmp:
            out = Path(tmp)
            try:
                run = replay_messages(job.path, config=self.config, components=self.components, out_dir=out)
                result.duration_s = float(run.result.duration_s)
            except StreamMSAError as exc:  # unreadable file, or a stream broken mid-file (what came before is kept)
                result.status, result.error = "error", one_line(exc)
            except Exception as exc:  # noqa: BLE001 - one broken file must not end the batch; it is reported
                logger.debug("processing %s failed", job.path, exc_info=True)
                result.status, result.error = "error", f"{type(exc).__name__}: {one_line(exc)}"
            result.wall_s = time.monotonic() - t0
            files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}
        if "summary.json" in files:
            result.fill_from_summary(json.loads(files["summary.json"]))
        if result.status == "ok" and result.readings == 0:
            result.status = "empty"
            result.error = f"no reading: {result.duration_s:.2f} s of media is less than one hop of the model"
        if "utterances.csv" in files:
            rows = csv.reader(io.StringIO(files["utterances.csv"].decode("utf-8")))
            result.utterances = max(0, sum(1 for _ in rows) - 1)
        return FileOutcome(result, files)
