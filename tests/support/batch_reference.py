"""What a batch's per-file results are compared with: the readings of a file as ``replay --fast``
records them, minus the wall-clock figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streammsa.recorder.readings import latest_readings
from streammsa.recorder.timeline import read_timeline

GOOD = ("grid/bbaf2n.mpg", "grid/lbax4n.mpg", "ravdess/audio/Actor_01/03-01-05-01-01-01-01.flac")
BROKEN = "broken.mp4"
# a reading's wall-clock figures depend on the machine's load, not on the file: left out of comparisons
WALL_CLOCK_KEYS = ("latency_ms", "update_latency_ms")


def comparable(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK_KEYS} for r in latest_readings(messages)]


def batch_readings(out_dir: Path, name: str) -> list[dict[str, Any]]:
    return comparable(list(read_timeline(out_dir / name / "timeline.jsonl")))
