"""``timeline.jsonl``: every message's ``to_json()``, one per line, in emission order.

The file is flushed after every line, so a crash or a kill loses at most the message
in flight; the report and the CSV are rebuilt from this file alone.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterator

from streammsa.errors import InputError
from streammsa.protocol import Message

TIMELINE_NAME = "timeline.jsonl"


class TimelineWriter:
    """A Sink that appends JSON lines to ``path`` (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # a run folder holds one run: a reused --out starts a fresh timeline, never mixes two runs
        self._fh = self.path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self.lines = 0

    def publish(self, message: Message) -> None:
        line = message.to_json()
        with self._lock:
            if self._fh.closed:
                return
            self._fh.write(line + "\n")
            # flush per line: what is on disk is everything emitted so far
            self._fh.flush()
            self.lines += 1

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


def read_timeline(path: Path) -> Iterator[dict[str, Any]]:
    """Messages of a timeline; a torn last line (killed mid-write) is skipped, not fatal."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"timeline {path} does not exist")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue
