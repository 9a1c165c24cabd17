"""Local worker processes: each loads the components once, then takes one file at a time.

One file per worker at a time (not a ``multiprocessing.Pool`` queue): the driver always knows which
file each worker holds, so a worker that dies (a native library aborting on a file) is reported
against exactly that file, replaced, and the batch goes on. Workers are spawned (no fork: torch and
the decoders hold threads), ignore Ctrl-C (the driver stops them) and write their stderr, native
libraries' messages included, to ``logs/worker-N.log`` in the batch's output folder.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from streammsa.batch.inputs import BatchJob
from streammsa.batch.processor import FileOutcome, FileProcessor, crashed, one_line
from streammsa.errors import StreamMSAError
from streammsa.monitor.config import MonitorConfig


class WorkerStartError(StreamMSAError):
    """A worker could not load the models (the same error every worker would hit)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _worker_main(conn: Connection, config: MonitorConfig, log_path: str | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)  # native libraries write to fd 2 directly: keep them off the progress bar
        os.close(fd)
    try:
        processor = FileProcessor(config)
    except BaseException as exc:  # noqa: BLE001 - reported to the driver, which stops the batch with it
        conn.send(("start-error", one_line(exc), getattr(exc, "exit_code", 1)))
        return
    conn.send(("ready", processor.worker))
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the driver is gone
            return
        if job is None:
            return
        conn.send(("done", processor.process(job)))


@dataclass
class _Slot:
    index: int
    process: Any  # multiprocessing.Process (spawn context)
    conn: Connection
    job: BatchJob | None = None
    worker: str = ""


class WorkerPool:
    def __init__(self, workers: int, config: MonitorConfig, log_dir: Path | None = None) -> None:
        self.workers = max(1, int(workers))
        self.config = config
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self._ctx = mp.get_context("spawn")
        self._slots: list[_Slot] = []
        self._procs: list[Any] = []  # every worker started, joined at close
        self._retired: set[int] = set()  # pids told to exit (no more work)

    def _start(self, index: int) -> _Slot:
        log = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = str(self.log_dir / f"worker-{index}.log")
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_worker_main, args=(child, self.config, log), name=f"streammsa-batch-{index}", daemon=True
        )
        proc.start()
        self._procs.append(proc)
        child.close()
        return _Slot(index, proc, parent)

    def run(self, jobs: Iterable[BatchJob]) -> Iterator[FileOutcome]:
        """Process ``jobs``; outcomes in completion order. Stops every worker on exit (also on Ctrl-C)."""
        pending = deque(jobs)
        try:
            self._slots = [self._start(i) for i in range(min(self.workers, len(pending)))]
            while self._slots:
                ready = wait([s.conn for s in self._slots] + [s.process.sentinel for s in self._slots])
                for slot in list(self._slots):
                    if slot.conn not in ready and slot.process.sentinel not in ready:
                        continue
                    try:
                        msg = slot.conn.recv() if slot.conn.poll() else None
                    except EOFError:  # the worker is gone; its sentinel says so too
                        msg = None
                    if msg is not None:
                        yield from self._handle(slot, msg, pending)
                    elif not slot.process.is_alive() or slot.process.sentinel in ready:
                        yield from self._died(slot, pending)
        finally:
            self.close()

    def _assign(self, slot: _Slot, pending: deque[BatchJob]) -> None:
        job = pending.popleft() if pending else None
        try:
            slot.conn.send(job)  # None: no more work, the worker exits
        except OSError:  # it died after its last answer: the job goes back, its death is handled next
            if job is not None:
                pending.appendleft(job)
            return
        slot.job = job
        if job is None:
            self._retired.add(slot.process.pid)
            self._retire(slot)

    def _handle(self, slot: _Slot, msg: tuple, pending: deque[BatchJob]) -> Iterator[FileOutcome]:
        kind = msg[0]
        if kind == "start-error":
            raise WorkerStartError(f"a batch worker could not start: {msg[1]}", int(msg[2]))
        if kind == "ready":
            slot.worker = msg[1]
        elif kind == "done":
            slot.job = None
            yield msg[1]
        self._assign(slot, pending)

    def _died(self, slot: _Slot, pending: deque[BatchJob]) -> Iterator[FileOutcome]:
        slot.process.join(timeout=5)
        code = slot.process.exitcode
        self._retire(slot)
        if slot.job is not None:
            detail = f"the worker process died (exit code {code}) while processing this file"
            yield crashed(slot.job, detail, slot.worker)
        elif not slot.worker:  # died while loading the models: every new worker would too
            raise WorkerStartError(f"a batch worker died while loading the models (exit code {code})")
        if pending:
            self._slots.append(self._start(slot.index))

    def _retire(self, slot: _Slot) -> None:
        if slot in self._slots:
            self._slots.remove(slot)
        slot.conn.close()

    def close(self) -> None:
        for slot in self._slots:
            slot.conn.close()
        self._slots = []
        for proc in self._procs:
            if proc.is_alive() and proc.pid not in self._retired:
                proc.terminate()  # still busy: the batch was stopped (its file is lost, nothing else)
        for proc in self._procs:
            proc.join(timeout=10)  # a retired worker finishes its own exit
            if proc.is_alive():
                proc.kill()
        self._procs = []
