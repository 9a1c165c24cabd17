"""A batch killed mid-run (a real `streammsa batch` subprocess, SIGKILL to its whole process group)
loses at most the files in flight: rerunning the same command keeps the finished files untouched,
processes the rest, and ends with the same results as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from support.batch_reference import BROKEN, batch_readings

from streammsa.batch.results import RESULT_NAME, read_summary
from streammsa.batch.store import INCOMPLETE

pytestmark = [pytest.mark.slow, pytest.mark.data]


def batch_command(archive, out) -> list[str]:
    return [sys.executable, "-m", "streammsa", "batch", str(archive), "--out", str(out), "--workers", "1"]


def test_a_killed_batch_resumes_where_it_stopped(archive, reference, tmp_path):
    out = tmp_path / "out"
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(batch_command(archive, out), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob(f"*/{RESULT_NAME}")):  # wait for the first finished file
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline, "no file finished in 240 s"
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the driver and its worker, mid-batch
        first.wait(timeout=30)
        log.close()
    finished = {p.parent.name: p.read_bytes() for p in out.glob(f"*/{RESULT_NAME}")}
    total = len(reference) + 1
    assert 1 <= len(finished) < total, "the kill must land mid-batch"
    for name in finished:  # what exists is complete
        if name != BROKEN:
            assert batch_readings(out, name) == reference[name]

    second = subprocess.run(batch_command(archive, out), capture_output=True, text=True, timeout=400)
    assert second.returncode == 1, second.stderr  # 1: the broken file failed (reported, not fatal)
    assert f"{len(finished)} done earlier" in second.stdout
    assert f"{total - len(finished)} processed now" in second.stdout
    assert f"failed: {archive / BROKEN}" in second.stdout
    for name, content in finished.items():  # skipped, not redone
        assert (out / name / RESULT_NAME).read_bytes() == content
    for name, expected in reference.items():
        assert batch_readings(out, name) == expected, name
    rows = read_summary(out / "summary.csv")
    assert sorted(r["output"] for r in rows) == sorted([*reference, BROKEN])
    assert not (out / INCOMPLETE).exists()
