"""`streammsa` as a child process, the way a user's terminal starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from streammsa.paths import REPO_ROOT


def _ctrl_c_as_at_a_terminal() -> None:
    # a shell without job control starts background jobs with SIGINT ignored, and Python keeps an inherited
    # SIG_IGN: under such a pytest the child would never see the Ctrl-C these tests send
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn_streammsa(*args: str, cwd: Path = REPO_ROOT) -> subprocess.Popen:
    """``python -m streammsa ARGS`` with piped text output, unbuffered, and Ctrl-C deliverable."""
    return subprocess.Popen(
        [sys.executable, "-m", "streammsa", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        cwd=cwd,
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )
