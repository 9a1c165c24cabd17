"""The batch's progress bar on stderr: files done of the total, weighted by file size for the ETA
(a long call takes longer than a short one; sizes are known without opening the files)."""

from __future__ import annotations

import sys
import time
from typing import Any


class BatchProgress:
    def __init__(self, total_files: int, total_bytes: int, enabled: bool = True) -> None:
        self.total_files = total_files
        self.done = 0
        self.failed = 0
        self.media_s = 0.0
        self._t0 = time.monotonic()
        self._bar: Any = None
        if enabled and total_files:
            from tqdm import tqdm

            self._bar = tqdm(
                total=max(1, total_bytes),
                desc=f"0/{total_files} files",
                file=sys.stderr,
                bar_format="batch {percentage:3.0f}%|{bar}| {desc} [{elapsed}<{remaining}]",
                leave=True,
            )
            self._refresh()

    def _refresh(self) -> None:
        if self._bar is None:
            return
        elapsed = time.monotonic() - self._t0
        speed = f", {self.media_s / elapsed:.1f}x real time" if self.media_s > 0 and elapsed > 0 else ""
        failed = f", {self.failed} failed" if self.failed else ""
        self._bar.set_description_str(f"{self.done}/{self.total_files} files{failed}{speed}", refresh=False)

    def file_done(self, size: int, ok: bool, media_s: float) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self.media_s += media_s
        self._refresh()
        if self._bar is not None:
            self._bar.update(size)

    def note(self, line: str) -> None:
        """A line above the bar (a failed file), without breaking it."""
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
