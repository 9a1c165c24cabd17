"""Native libraries' start-up chatter kept off the user's terminal.

MediaPipe (absl logging) and TensorFlow Lite write lines such as ``W0000 ... Sets FaceBlendshapesGraph
acceleration to xnnpack`` and ``INFO: Created TensorFlow Lite XNNPACK delegate`` straight to file
descriptor 2 when a model loads; neither honours GLOG/TF environment variables, and Python's
``sys.stderr`` never sees them. ``quiet()`` points descriptor 2 at a temporary file for the duration
of a block, then sends the known chatter (absl ``I``/``W`` lines, TFLite ``INFO:`` lines) to the debug
log (``-v -v`` shows it) and writes every other line back to stderr, so a real error is never lost,
only delayed to the end of the block. Blocks may overlap across threads (models load in parallel):
the descriptor is restored when the last one ends.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from streammsa import log

logger = log.get("native")

# absl/glog info and warning lines ("W0000 00:00:1796100550.72 31102 file.cc:181] ..."), TFLite's INFO
# lines, and absl's notice that it logs to stderr before InitGoogle()
CHATTER = re.compile(r"^(?:[IW]\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+\] |INFO: |WARNING: Logging before InitGoogle\(\))")

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None
_capture: tempfile._TemporaryFileWrapper | None = None  # type: ignore[type-arg]


@contextmanager
def quiet() -> Iterator[None]:
    """Capture what native code writes to descriptor 2 during the block; chatter -> debug log, the rest -> stderr."""
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _depth, _saved_fd, _capture
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError):  # a closed or replaced stderr
            pass
        _capture = tempfile.TemporaryFile(prefix="streammsa-stderr-")
        _saved_fd = os.dup(2)
        os.dup2(_capture.fileno(), 2)


def _leave() -> None:
    global _depth, _saved_fd, _capture
    with _lock:
        _depth -= 1
        if _depth > 0 or _saved_fd is None or _capture is None:
            return
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError):
            pass
        os.dup2(_saved_fd, 2)
        os.close(_saved_fd)
        capture, _saved_fd, _capture = _capture, None, None
    capture.seek(0)
    text = capture.read().decode("utf-8", errors="replace")
    capture.close()
    _replay(text)


def _replay(text: str) -> None:
    others = []
    for line in text.splitlines():
        if CHATTER.match(line):
            logger.debug("%s", line)
        elif line.strip():
            others.append(line)
    if others:
        os.write(2, ("\n".join(others) + "\n").encode())
