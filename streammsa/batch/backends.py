"""Where a batch's workers run, behind one interface: ``backend.run(jobs)`` yields each file's
``FileOutcome`` as it completes. ``local``: worker processes on this machine (``batch/pool.py``);
``ray``: actors on a Ray cluster (``batch/ray_backend.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from streammsa.batch.inputs import BatchJob
from streammsa.batch.processor import FileOutcome
from streammsa.errors import UsageError
from streammsa.monitor.config import MonitorConfig


class Backend(Protocol):
    def run(self, jobs: Iterable[BatchJob]) -> Iterator[FileOutcome]: ...


@dataclass(frozen=True)
class BackendOptions:
    workers: int | None  # None: the backend's default (local: 1; ray: one per GPU, else per CPU)
    config: MonitorConfig
    log_dir: Path | None = None
    ray_address: str | None = None


def _local(o: BackendOptions) -> Backend:
    from streammsa.batch.pool import WorkerPool

    return WorkerPool(o.workers or 1, o.config, log_dir=o.log_dir)


def _ray(o: BackendOptions) -> Backend:
    from streammsa.batch.ray_backend import RayBackend

    return RayBackend(o.workers, o.config, address=o.ray_address)


BACKENDS: dict[str, Callable[[BackendOptions], Backend]] = {"local": _local, "ray": _ray}


def make_backend(name: str, options: BackendOptions) -> Backend:
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise UsageError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}") from None
    return factory(options)
