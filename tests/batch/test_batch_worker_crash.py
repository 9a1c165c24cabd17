"""A worker process that dies mid-file (as when a native library aborts) costs exactly that file:
it is reported against it, a fresh worker takes over, and the batch finishes the other files."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
import time

import pytest
from support.batch_reference import batch_readings

from streammsa.batch import BatchConfig, run_batch
from streammsa.batch.results import RESULT_NAME
from streammsa.paths import demo_clip

pytestmark = [pytest.mark.slow, pytest.mark.data]


def _kill_worker_after_first_file(out, stop: threading.Event) -> None:
    while not stop.is_set() and not list(out.glob(f"*/{RESULT_NAME}")):
        time.sleep(0.02)
    for proc in multiprocessing.active_children():
        if proc.name.startswith("streammsa-batch-"):
            os.kill(proc.pid, signal.SIGKILL)  # now busy with the long file


def test_a_worker_killed_mid_file_costs_only_that_file(reference, archive, tmp_path):
    long_clip = demo_clip()
    if not long_clip.is_file():
        pytest.skip(f"{long_clip} is absent: bash scripts/setup.sh makes it")
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy2(archive / "bbaf2n.mpg", src / "a_short.mpg")  # done first
    shutil.copy2(long_clip, src / "b_long.mp4")  # ~20 s of media: in flight when the worker is killed
    shutil.copy2(archive / "lbax4n.mpg", src / "c_short.mpg")  # needs the replacement worker
    out = tmp_path / "out"
    stop = threading.Event()
    killer = threading.Thread(target=_kill_worker_after_first_file, args=(out, stop), daemon=True)
    killer.start()
    try:
        report = run_batch(BatchConfig(inputs=str(src), out_dir=out, workers=1, progress=False))
    finally:
        stop.set()
        killer.join(timeout=10)
    status = {r.name: r for r in report.results}
    assert status["a_short.mpg"].ok and status["c_short.mpg"].ok
    lost = status["b_long.mp4"]
    assert lost.status == "error" and "died (exit code -9) while processing this file" in lost.error
    assert batch_readings(out, "c_short.mpg") == reference["lbax4n.mpg"]  # the replacement worker's result
    assert status["a_short.mpg"].worker != status["c_short.mpg"].worker
