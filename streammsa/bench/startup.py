"""Start-up to first reading, as a user meets it: a fresh ``streammsa replay FILE`` process (paced at
real time, headless) is launched, and the clock stops when its first reading reaches the timeline.

It includes the interpreter's start, every import and model load, and the first window (the first
reading covers the stream's first hop, 1 s by default, so it cannot come before that much of the
stream has played). The process is then stopped with Ctrl-C, which ends a run cleanly.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streammsa.errors import StreamMSAError
from streammsa.recorder.timeline import TIMELINE_NAME

POLL_S = 0.01


@dataclass
class Startup:
    first_reading_s: float  # launch -> first reading on the timeline (wall seconds)
    window_end_s: float  # stream time at which that reading's window ends


class StartupFailed(StreamMSAError):
    """The replay process ended or timed out before its first reading."""


def measure_startup(path: Path, extra_args: Sequence[str] = (), timeout_s: float = 120.0) -> Startup:
    """Launch ``streammsa replay path --no-dashboard`` and time its first reading (then stop it)."""
    with tempfile.TemporaryDirectory(prefix="streammsa-startup-") as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "streammsa", "-q", "replay", str(path), "--no-dashboard", "--out", str(out)]
        t0 = time.monotonic()
        proc = subprocess.Popen([*cmd, *extra_args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            first = _wait_for_reading(proc, out / TIMELINE_NAME, t0, timeout_s)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        if first is None:
            last = (err or "").strip().splitlines()[-1:] or ["no output"]
            raise StartupFailed(f"`{' '.join(cmd)}` gave no reading within {timeout_s:.0f} s ({last[0]})")
        return Startup(first_reading_s=first[0], window_end_s=first[1])


def _wait_for_reading(
    proc: subprocess.Popen, timeline: Path, t0: float, timeout_s: float
) -> tuple[float, float] | None:
    offset = 0
    while time.monotonic() - t0 < timeout_s:
        if timeline.exists():
            with timeline.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            # complete lines only: the writer flushes each message as one line
            done = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(done)
            for line in done.splitlines():
                msg = json.loads(line)
                if msg.get("type") == "reading":
                    return time.monotonic() - t0, float(msg["t_end"])
        if proc.poll() is not None:
            return None
        time.sleep(POLL_S)
    return None
