"""Fan a batch out over a Ray cluster (``pip install streammsa[ray]``): one actor per worker, each
holding one loaded set of models, GPU-resident when the cluster has GPUs (an actor then reserves a
GPU, or an equal share when there are more workers than GPUs, and ``--device auto`` puts the model
and Whisper on it).

Inputs must be readable at the same path on every node (a shared or copied folder); outputs come back
to the driver as bytes, which commits them, so no shared output folder is needed. An actor that dies
mid-file is reported against that file and replaced. With no address Ray starts a local cluster for
the batch (and stops it after); a program that called ``ray.init`` itself keeps its cluster.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from streammsa.batch.inputs import BatchJob
from streammsa.batch.pool import WorkerStartError
from streammsa.batch.processor import FileOutcome, FileProcessor, crashed, one_line
from streammsa.errors import UsageError
from streammsa.monitor.config import MonitorConfig


class RayWorker:
    """The actor: a FileProcessor living in a Ray worker process."""

    def __init__(self, config: MonitorConfig) -> None:
        self.processor = FileProcessor(config)

    def ready(self) -> str:
        return self.processor.worker

    def process(self, job: BatchJob) -> FileOutcome:
        return self.processor.process(job)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("--backend ray needs Ray: pip install 'streammsa[ray]' (or ray==2.60.0), then rerun") from None
    return ray


class RayBackend:
    def __init__(self, workers: int | None, config: MonitorConfig, address: str | None = None) -> None:
        self.workers = workers
        self.config = config
        self.address = address

    def run(self, jobs: Iterable[BatchJob]) -> Iterator[FileOutcome]:
        ray = _import_ray()
        from ray.exceptions import RayActorError, RayTaskError

        started = False
        if not ray.is_initialized():
            try:
                if self.address and self.address.startswith("ray://"):
                    ray.init(address=self.address)  # Ray Client: the cluster's own logging settings apply
                elif self.address:
                    ray.init(address=self.address, log_to_driver=False)
                else:
                    ray.init(num_cpus=self.workers or None, include_dashboard=False, log_to_driver=False)
            except ConnectionError as exc:
                raise UsageError(f"cannot reach the Ray cluster at {self.address}: {one_line(exc)}") from None
            started = True
        try:
            resources = ray.cluster_resources()
            gpus = float(resources.get("GPU", 0))
            n = self.workers or (int(gpus) if gpus >= 1 else max(1, int(resources.get("CPU", 1))))
            options: dict[str, Any] = {
                "num_cpus": 1,
                "num_gpus": min(1.0, gpus / n) if gpus > 0 else 0,
                "runtime_env": {"env_vars": {"OMP_NUM_THREADS": _openmp_threads()}},
            }
            actor_cls = ray.remote(**options)(RayWorker)
            pending = deque(jobs)
            actors = [actor_cls.remote(self.config) for _ in range(min(n, len(pending)))]
            try:
                names = ray.get([a.ready.remote() for a in actors])  # a model that cannot load stops here, once
            except (RayActorError, RayTaskError) as exc:
                raise WorkerStartError(f"a Ray batch worker could not start: {_cause(exc)}") from None
            inflight: dict[Any, tuple[Any, BatchJob, str]] = {}
            idle = list(zip(actors, names))
            while pending or inflight:
                while idle and pending:
                    actor, name = idle.pop()
                    job = pending.popleft()
                    inflight[actor.process.remote(job)] = (actor, job, name)
                done, _ = ray.wait(list(inflight), num_returns=1)
                actor, job, name = inflight.pop(done[0])
                try:
                    outcome = ray.get(done[0])
                except RayActorError as exc:  # the actor's process died on this file: report it, replace the actor
                    yield crashed(job, f"the Ray worker died while processing this file: {_cause(exc)}", name)
                    fresh = actor_cls.remote(self.config)
                    idle.append((fresh, ray.get(fresh.ready.remote())))
                    continue
                except RayTaskError as exc:  # process() reports bad files itself; this is anything else
                    yield crashed(job, f"the Ray worker failed on this file: {_cause(exc)}", name)
                    idle.append((actor, name))
                    continue
                idle.append((actor, name))
                yield outcome
        finally:
            if started:
                ray.shutdown()


def _cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    return one_line(cause) if isinstance(cause, BaseException) else one_line(exc)


def _openmp_threads() -> str:
    """The OpenMP setting of a plain process here. Ray sets OMP_NUM_THREADS=1 in a one-CPU actor, and with exactly 1
    CTranslate2's int8 Whisper encoder (the voice reader's states) computes other states (up to 0.13 apart, voice
    readings about 0.01: measured on a 2-core AMD EPYC VM): a batch must read a file as `replay` does, so an actor
    runs with the setting a plain `replay` here would have."""
    return os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count() or 1)
