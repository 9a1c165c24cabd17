"""The readings of a recorded run as they finally stood: one per (stream, seq), its last revision.

``timeline.jsonl`` is append-only: a reading revised when late words joined its window appears once
per message (same ``seq``, growing ``revision``, ``final: true`` on the last). Everything that reads
a timeline back (CSV, report, subtitles, tests) takes the readings through ``latest_readings``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def latest_readings(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One reading per (stream, seq): the highest ``revision`` (the later message on a tie, e.g. the
    final re-send), in the order each seq was first emitted. Other message types are skipped;
    version-1 timelines (no ``revision``) pass through unchanged."""
    latest: dict[tuple[Any, Any], dict[str, Any]] = {}
    for msg in messages:
        if msg.get("type") != "reading":
            continue
        key = (msg.get("stream"), msg.get("seq"))
        prev = latest.get(key)
        if prev is None or int(msg.get("revision") or 0) >= int(prev.get("revision") or 0):
            latest[key] = msg  # a dict keeps the position of the first insertion: first-emission order
    return list(latest.values())
