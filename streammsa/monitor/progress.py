"""The progress bar of a replay on stderr (seconds of stream done of the file's duration)."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, source_name: str, total_s: float | None) -> None:
        from tqdm import tqdm

        fmt = "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of stream [{elapsed}<{remaining}]"
        self._bar: Any = tqdm(
            total=round(total_s, 2) if total_s else None,
            unit="s",
            desc=f"replay {source_name}",
            file=sys.stderr,
            bar_format=fmt if total_s else "{desc}: {n:.1f} s of stream [{elapsed}]",
            leave=True,
        )

    def reached(self, t: float) -> None:
        """The stream has been read up to ``t`` seconds."""
        target = t if self._bar.total is None else min(t, self._bar.total)
        self._bar.update(max(0.0, target - self._bar.n))

    def close(self) -> None:
        self._bar.close()
