"""A batch's output folder: which files are done, committing a file's outputs, the summary.

Layout of ``--out DIR``::

    DIR/summary.csv            one row per file (duration, readings, mean intensity per modality, alerts, status)
    DIR/<name>/                one finished file: timeline.jsonl, timeline.csv, summary.json, report.png,
                               report.html, utterances.csv, transcript.srt/.vtt, batch.json (its FileResult)
    DIR/settings.json          what the files were read with (``batch/settings.py``): a batch with others stops
    DIR/.incomplete/           files being committed; whatever is left here after a crash is removed
    DIR/.lock                  held while a batch writes here (one batch per folder at a time)

A file's folder appears in one ``rename`` once everything in it is written, ``batch.json`` last: a
crash or a kill loses at most the files in flight, and a folder that exists is complete.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from streammsa.batch.inputs import BatchJob
from streammsa.batch.processor import FileOutcome
from streammsa.batch.results import RESULT_NAME, SUMMARY_CSV, FileResult, SummaryWriter
from streammsa.errors import InputError

INCOMPLETE = ".incomplete"
LOCK_NAME = ".lock"


class BatchStore:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError(f"--out {self.out_dir} is a file; pass a folder for the batch's outputs")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._lock = (self.out_dir / LOCK_NAME).open("w")
        try:  # two batches committing into one folder would remove each other's files in flight
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise InputError(f"another batch is writing to {self.out_dir}; wait for it or pick another --out") from None
        self.incomplete = self.out_dir / INCOMPLETE
        # left by a crashed or killed batch: never complete, never read
        shutil.rmtree(self.incomplete, ignore_errors=True)
        self.incomplete.mkdir()
        self.summary = SummaryWriter(self.out_dir / SUMMARY_CSV)

    def result(self, job: BatchJob) -> FileResult | None:
        """The stored result of ``job``'s output folder, if it holds a complete one."""
        path = self.out_dir / job.name / RESULT_NAME
        try:
            return FileResult.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None

    def is_done(self, job: BatchJob, retry_failed: bool = False) -> bool:
        """Done: a complete folder for the same source (same size and mtime); a failed one only
        counts when failures are not retried."""
        r = self.result(job)
        if r is None or (r.size, r.mtime_ns) != (job.size, job.mtime_ns):
            return False
        return r.ok or not retry_failed

    def commit(self, outcome: FileOutcome) -> FileResult:
        """Write ``outcome``'s files to a private folder, then move it into place in one rename."""
        result = outcome.result
        tmp = self.incomplete / f"{result.name}.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, data in outcome.files.items():
            (tmp / Path(name).name).write_bytes(data)
        (tmp / RESULT_NAME).write_text(result.to_json(), encoding="utf-8")
        final = self.out_dir / result.name
        if final.exists():  # a failed or changed file processed again: the old folder goes, the new one lands whole
            old = self.incomplete / f"{result.name}.old.{os.getpid()}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
        self.summary.append(result)
        return result

    def results(self, jobs: list[BatchJob]) -> list[FileResult]:
        """The stored result of every job that has one, in input order."""
        return [r for r in (self.result(j) for j in jobs) if r is not None]

    def close(self) -> None:
        shutil.rmtree(self.incomplete, ignore_errors=True)
        if not self._lock.closed:
            self._lock.close()  # releases the lock
