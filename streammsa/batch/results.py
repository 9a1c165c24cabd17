"""What a batch records per file (``batch.json`` in the file's folder, a row of ``summary.csv``)."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streammsa import MODALITIES

RESULT_NAME = "batch.json"
SUMMARY_CSV = "summary.csv"


@dataclass
class FileResult:
    file: str  # the source path as processed
    name: str  # its output folder under the batch's --out
    status: str  # "ok" | "empty" (no reading: under one hop of media) | "error"
    error: str = ""  # one line: what went wrong (a broken stream keeps what came before it)
    duration_s: float = 0.0  # seconds of media processed
    readings: int = 0
    utterances: int = 0
    intensity_mean: float | None = None
    text_mean: float | None = None
    audio_mean: float | None = None
    vision_mean: float | None = None
    disagreement_mean: float | None = None  # the window disagreement (protocol 4), mean over the file
    disagreement_max: float | None = None  # its highest window: where to look first in an archive
    alerts: int = 0  # alerts raised
    conflict_alerts: int = 0
    negative_alerts: int = 0
    wall_s: float = 0.0  # processing time of this file on its worker (models already loaded)
    model: str = ""
    trained: bool | None = None
    device: str = ""
    worker: str = ""  # host:pid of the worker that processed it
    size: int = 0  # the source's size and mtime when processed: a changed file is processed again
    mtime_ns: int = 0

    @property
    def ok(self) -> bool:
        """Processed as well as it can be (an empty file is done: processing it again changes nothing)."""
        return self.status in ("ok", "empty")

    @property
    def x_realtime(self) -> float | None:
        return round(self.duration_s / self.wall_s, 2) if self.wall_s > 0 and self.duration_s > 0 else None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FileResult:
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def fill_from_summary(self, stats: dict[str, Any]) -> None:
        """The per-file figures from the run's summary.json (``recorder/report.py``)."""
        means = stats.get("modality_intensity_mean") or {}
        by_kind = stats.get("alerts_by_kind") or {}
        self.readings = int(stats.get("readings") or 0)
        self.intensity_mean = stats.get("intensity_mean")
        for m in MODALITIES:
            setattr(self, f"{m}_mean", means.get(m))
        self.disagreement_mean = stats.get("disagreement_mean")
        moments = stats.get("most_disagreement") or []
        self.disagreement_max = moments[0]["disagreement"] if moments else None
        self.alerts = int(stats.get("alerts_raised") or 0)
        self.conflict_alerts = int(by_kind.get("conflict") or 0)
        self.negative_alerts = int(by_kind.get("sustained_negative") or 0)
        self.model = str(stats.get("model") or "")
        self.trained = stats.get("trained")
        self.device = str(stats.get("device") or "")
        if not self.duration_s:
            self.duration_s = float(stats.get("duration_s") or 0.0)


SUMMARY_COLUMNS: list[str] = [
    "file",
    "output",
    "status",
    "error",
    "duration_s",
    "readings",
    "utterances",
    "intensity_mean",
    *(f"{m}_mean" for m in MODALITIES),
    "disagreement_mean",
    "disagreement_max",
    "alerts",
    "conflict_alerts",
    "negative_alerts",
    "wall_s",
    "x_realtime",
    "model",
    "trained",
    "device",
    "worker",
]


def summary_row(r: FileResult) -> dict[str, Any]:
    def num(v: float | None) -> Any:
        return "" if v is None else round(v, 4)

    return {
        "file": r.file,
        "output": r.name,
        "status": r.status,
        "error": r.error,
        "duration_s": round(r.duration_s, 3),
        "readings": r.readings,
        "utterances": r.utterances,
        "intensity_mean": num(r.intensity_mean),
        **{f"{m}_mean": num(getattr(r, f"{m}_mean")) for m in MODALITIES},
        "disagreement_mean": num(r.disagreement_mean),
        "disagreement_max": num(r.disagreement_max),
        "alerts": r.alerts,
        "conflict_alerts": r.conflict_alerts,
        "negative_alerts": r.negative_alerts,
        "wall_s": round(r.wall_s, 3),
        "x_realtime": "" if r.x_realtime is None else r.x_realtime,
        "model": r.model,
        "trained": "" if r.trained is None else r.trained,
        "device": r.device,
        "worker": r.worker,
    }


class SummaryWriter:
    """``summary.csv``: a row appended (and flushed) per file as it completes; ``rewrite`` puts every
    result in input order at the end (and at the start of a resumed batch)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def rewrite(self, results: Iterable[FileResult]) -> None:
        tmp = self.path.with_suffix(".csv.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
            w.writeheader()
            for r in results:
                w.writerow(summary_row(r))
        tmp.replace(self.path)  # a reader never sees a half-written summary

    def append(self, result: FileResult) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
            if new:
                w.writeheader()
            w.writerow(summary_row(result))


def read_summary(path: Path) -> list[dict[str, str]]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
