"""``timeline.csv``: one row per reading (its last revision, ``recorder/readings.py``), flat columns,
for spreadsheets and pandas. ``participant``: the reading's person by their latest name (a meeting read
with ``--participants``, ``recorder/participants.py``); empty for a single-stream run."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable

from streammsa import MODALITIES
from streammsa.recorder.participants import participant_names
from streammsa.recorder.readings import latest_readings

CSV_NAME = "timeline.csv"
# per modality: its reading, how much evidence backs it, how likely it is the one that disagrees, CACR's C_m and w_m
MODALITY_NUMBERS = ("intensity", "confidence", "disagreement", "conflict", "weight")

COLUMNS: list[str] = (
    ["stream", "participant", "seq", "t_start", "t_end", "intensity", "model_intensity", "disagreement"]
    + [f"{m}_{k}" for m in MODALITIES for k in ("present",) + MODALITY_NUMBERS]
    + ["transcript", "alerts", "latency_ms", "model", "trained", "revision", "final"]
)


def reading_row(msg: dict[str, Any], participant: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {
        k: msg.get(k)
        for k in ("stream", "seq", "t_start", "t_end", "intensity", "transcript", "latency_ms", "model", "trained")
    }
    row["disagreement"] = "" if msg.get("disagreement") is None else msg["disagreement"]  # none before protocol 4
    row["model_intensity"] = "" if msg.get("model_intensity") is None else msg["model_intensity"]  # protocol 5
    row["participant"] = participant
    row["revision"] = int(msg.get("revision") or 0)
    row["final"] = bool(msg.get("final", True))  # a version-1 reading was never revised
    for m in MODALITIES:
        mr = (msg.get("modalities") or {}).get(m) or {}
        row[f"{m}_present"] = bool(mr.get("present", False))
        for k in MODALITY_NUMBERS:
            v = mr.get(k)
            row[f"{m}_{k}"] = "" if v is None else v
    row["alerts"] = ";".join(msg.get("alerts") or [])
    return row


def write_csv(messages: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the readings among ``messages`` (the last revision of each) to ``path``; returns the number of rows."""
    msgs = list(messages)
    names = participant_names(msgs)  # the latest name: a rename later in the run names every row
    n = 0
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for msg in latest_readings(msgs):
            w.writerow(reading_row(msg, names.get(str(msg.get("stream")), "")))
            n += 1
    return n
