"""Start-up to first reading, as a user meets it: a fresh ``streammsa replay`` process (paced at
real time, headless) is launched, and the clock stops when its first reading reaches the timeline.

It includes the interpreter's start, every import and model load, and the first window (the first
reading covers the stream's first hop, 1 s by default, so it cannot come before that much of the
stream has played). The process is then stopped with Ctrl-C, which ends a run cleanly.

Other work on the machine moves this figure by seconds, so compare checkouts side by side:
``python -m streammsa.bench.startup FILE --runs 3 --checkout ../before`` alternates runs of this checkout
and the other one and prints each one's median with the load average (issue #12).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
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
    stderr: str = ""  # what the process wrote on stderr (with -q: errors only; native chatter must not show)


class StartupFailed(StreamMSAError):
    """The replay process ended or timed out before its first reading."""


def _ctrl_c_as_at_a_terminal() -> None:
    # a bench started in the background of a non-interactive shell ignores SIGINT, and so would its child
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def measure_startup(
    path: Path, extra_args: Sequence[str] = (), timeout_s: float = 120.0, checkout: Path | None = None
) -> Startup:
    """Launch ``streammsa replay path --no-dashboard`` and time its first reading (then stop it).

    ``checkout``: run the ``streammsa`` of that source checkout instead of this one (same interpreter: ``-m``
    imports the package from the working directory first)."""
    if checkout is not None and not (Path(checkout) / "streammsa" / "__init__.py").is_file():
        raise StartupFailed(f"{checkout} is not a streammsa source checkout (no streammsa/__init__.py)")
    with tempfile.TemporaryDirectory(prefix="streammsa-startup-") as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "streammsa", "-q", "replay", str(path), "--no-dashboard", "--out", str(out)]
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [*cmd, *extra_args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=checkout,
            preexec_fn=_ctrl_c_as_at_a_terminal,  # it is stopped by Ctrl-C, as a user would
        )
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
        return Startup(first_reading_s=first[0], window_end_s=first[1], stderr=err or "")


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


def compare(path: Path, checkouts: Sequence[Path | None], runs: int) -> dict[str, list[float]]:
    """``runs`` start-ups of each checkout (None: this one), alternating so that each sees the same load."""
    times: dict[str, list[float]] = {_label(c): [] for c in checkouts}
    for i in range(runs):
        for c in checkouts:
            s = measure_startup(path, checkout=c)
            times[_label(c)].append(s.first_reading_s)
            print(f"{_label(c)} run {i + 1}: {s.first_reading_s:.2f} s", flush=True)
    return times


def _label(checkout: Path | None) -> str:
    return "this checkout" if checkout is None else str(checkout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start-up to first reading of `streammsa replay FILE`, medians")
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--checkout", type=Path, action="append", default=[], help="another source checkout to run")
    args = parser.parse_args(argv)
    load0 = os.getloadavg()
    times = compare(args.file, [None, *args.checkout], args.runs)
    load1 = os.getloadavg()
    for label, ts in times.items():
        runs = " ".join(f"{t:.2f}" for t in ts)
        print(f"{label}: median {statistics.median(ts):.2f} s (runs {runs})")
    print(f"load average (1 min) {load0[0]:.2f} before, {load1[0]:.2f} after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
