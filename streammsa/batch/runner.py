"""``run_batch``: find the files, skip those already done, run the rest on the chosen backend,
commit each file's outputs as it completes, and write the summary across files."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from streammsa.batch.backends import BackendOptions, make_backend
from streammsa.batch.inputs import BatchJob, find_jobs
from streammsa.batch.processor import batch_monitor_config
from streammsa.batch.progress import BatchProgress
from streammsa.batch.results import FileResult
from streammsa.batch.settings import result_settings, settle
from streammsa.batch.store import BatchStore
from streammsa.engine.inference import resolve_checkpoint
from streammsa.errors import UsageError
from streammsa.monitor.config import MonitorConfig


@dataclass(frozen=True)
class BatchConfig:
    inputs: str  # a folder (searched recursively), a glob pattern or one file
    out_dir: Path
    monitor: MonitorConfig = field(default_factory=MonitorConfig)  # model, ASR and alert settings of every file
    workers: int | None = None  # None: the backend's default
    backend: str = "local"  # "local" | "ray"
    ray_address: str | None = None
    retry_failed: bool = False  # process again files whose earlier attempt failed
    progress: bool = True


@dataclass
class BatchReport:
    out_dir: Path
    summary_csv: Path
    total: int = 0  # files in the batch
    skipped: int = 0  # already done by an earlier run
    processed: int = 0  # processed by this run
    failed: int = 0  # processed by this run and failed
    media_s: float = 0.0  # seconds of media processed by this run
    wall_s: float = 0.0  # this run, start-up included
    interrupted: bool = False
    results: list[FileResult] = field(default_factory=list)  # every file with a result, in input order

    @property
    def files_per_hour(self) -> float | None:
        return 3600.0 * self.processed / self.wall_s if self.processed and self.wall_s > 0 else None

    @property
    def x_realtime(self) -> float | None:
        return self.media_s / self.wall_s if self.media_s > 0 and self.wall_s > 0 else None


def run_batch(config: BatchConfig) -> BatchReport:
    if config.workers is not None and config.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {config.workers}")
    t0 = time.monotonic()
    out_dir = Path(config.out_dir)
    jobs = find_jobs(config.inputs, exclude=out_dir)
    resolve_checkpoint(config.monitor.engine)  # a missing checkpoint is one line now, not one per worker
    store = BatchStore(out_dir)
    try:
        settle(out_dir, result_settings(batch_monitor_config(config.monitor)))  # one folder, one kind of reading
    except Exception:
        store.close()
        raise
    report = BatchReport(out_dir=out_dir, summary_csv=store.summary.path, total=len(jobs))
    todo: list[BatchJob] = [j for j in jobs if not store.is_done(j, config.retry_failed)]
    report.skipped = len(jobs) - len(todo)
    todo_names = {j.name for j in todo}
    store.summary.rewrite(store.results([j for j in jobs if j.name not in todo_names]))  # earlier runs' files
    progress = BatchProgress(len(todo), sum(j.size for j in todo), enabled=config.progress)
    sizes = {j.name: j.size for j in todo}
    try:
        if todo:
            options = BackendOptions(
                workers=config.workers, config=config.monitor, log_dir=out_dir / "logs", ray_address=config.ray_address
            )
            for outcome in make_backend(config.backend, options).run(todo):
                result = store.commit(outcome)
                report.processed += 1
                report.failed += 0 if result.ok else 1
                report.media_s += result.duration_s
                if not result.ok:
                    progress.note(f"failed: {result.file}: {result.error}")
                progress.file_done(sizes.get(result.name, 0), result.ok, result.duration_s)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        progress.close()
        report.results = store.results(jobs)
        store.summary.rewrite(report.results)  # every file with a result, in input order
        store.close()
        report.wall_s = time.monotonic() - t0
    return report
