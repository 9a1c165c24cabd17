"""The runnable examples in docs/api.md, run as a user would: copied into a script outside the checkout and
started with the system's Python on a real clip."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from streammsa.paths import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.data]

API_DOC = REPO_ROOT / "docs" / "api.md"


def example(name: str) -> str:
    """The python block right after ``<!-- example: NAME -->`` in docs/api.md."""
    m = re.search(rf"<!-- example: {name} -->\s*```python\n(.*?)```", API_DOC.read_text(), re.S)
    assert m, f"docs/api.md has no example '{name}'"
    return m.group(1)


def run_example(name: str, clip: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / f"{name}.py"
    script.write_text(example(name))
    return subprocess.run(
        [sys.executable, str(script), str(clip)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )


def test_the_first_example_prints_every_reading_of_a_recording(grid_clip, tmp_path):
    proc = run_example("readings", grid_clip, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    reading_lines = [ln for ln in lines if " intensity " in ln]
    summary = lines[-1]
    m = re.match(r"(\d+) readings; transcript: '(.*)'", summary)
    assert m, summary
    assert int(m.group(1)) == len(reading_lines) > 0
    assert all("(face)" in ln for ln in reading_lines)  # the GRID speaker faces the camera throughout
    assert m.group(2).strip()  # words were recognised
    assert not list(tmp_path.glob("runs")), "the API records nothing unless asked (out_dir)"


def test_the_push_example_feeds_decoded_media_and_gets_readings(grid_clip, tmp_path):
    proc = run_example("push", grid_clip, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    m = re.match(r"(\d+) readings; transcript: '(.*)'", lines[-1])
    assert m, lines[-1:]
    seqs = [int(ln.split()[0][1:]) for ln in lines if " intensity " in ln]
    assert seqs and sorted(set(seqs)) == list(range(int(m.group(1))))  # every reading seen (revisions repeat a seq)
    assert m.group(2).strip()
