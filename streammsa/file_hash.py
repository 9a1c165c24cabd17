"""sha256 of a file, read in blocks and remembered per (path, modification time): model files are checked at
every load, and some are large."""

from __future__ import annotations

import hashlib
from pathlib import Path

_SEEN: dict[tuple[str, int], str] = {}


def file_sha256(path: str | Path) -> str:
    p = Path(path)
    key = (str(p.resolve()), p.stat().st_mtime_ns)
    if key not in _SEEN:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _SEEN[key] = h.hexdigest()
    return _SEEN[key]
