"""Revised readings in a recorded run: timeline.jsonl keeps every message, the CSV and the report use
the last revision of each reading (one helper, ``latest_readings``)."""

from __future__ import annotations

import csv
import dataclasses
import json

from streammsa.protocol import Hello, ModalityReading, Reading
from streammsa.recorder.csv_export import write_csv
from streammsa.recorder.readings import latest_readings
from streammsa.recorder.report import write_report
from streammsa.recorder.timeline import TimelineWriter, read_timeline

ABSENT = ModalityReading(False, None, None, None)


def first_emission(seq: int, overall: float, text: float | None, final: bool) -> Reading:
    mods = {
        "text": ModalityReading(True, text, 0.3, 0.5) if text is not None else ABSENT,
        "audio": ModalityReading(True, -0.4, 0.2, 0.8),
        "vision": ModalityReading(True, 0.1, 0.2, 0.8),
    }
    return Reading(
        stream="s",
        seq=seq,
        t_start=max(0.0, seq - 3.0),
        t_end=seq + 1.0,
        intensity=overall,
        modalities=mods,
        transcript="" if text is None else "we are late",
        alerts=[],
        latency_ms=90.0 + seq,
        model="cacr",
        trained=True,
        final=final,
    )


def revised(r: Reading, overall: float, text: float, words: str, final: bool, update_ms: float) -> Reading:
    mods = dict(r.modalities, text=ModalityReading(True, text, 0.4, 0.6))
    return dataclasses.replace(
        r,
        intensity=overall,
        modalities=mods,
        transcript=words,
        revision=r.revision + 1,
        final=final,
        update_latency_ms=update_ms,
    )


def record_run(out_dir) -> list[Reading]:
    """Four readings: 0 final at once; 1 revised twice; 2 confirmed final unchanged; 3 revised once."""
    w = TimelineWriter(out_dir / "timeline.jsonl")
    hello = Hello("0", ["s"], "cacr", True, {"text": True, "audio": True, "vision": True}, {}, 4.0, 1.0)
    w.publish(hello)
    r0 = first_emission(0, 0.2, None, final=True)
    r1 = first_emission(1, 0.1, None, final=False)
    r2 = first_emission(2, -0.3, -0.5, final=False)
    for r in (r0, r1, r2):
        w.publish(r)
    r1a = revised(r1, -0.6, -1.2, "the launch slipped", final=False, update_ms=1800.0)
    w.publish(r1a)
    r3 = first_emission(3, -0.2, None, final=False)
    w.publish(r3)
    r1b = revised(r1a, -1.4, -2.1, "the launch slipped again", final=True, update_ms=2600.0)
    w.publish(r1b)
    r2f = dataclasses.replace(r2, final=True, update_latency_ms=2100.0)  # nothing joined: same numbers, final
    w.publish(r2f)
    r3a = revised(r3, -1.9, -2.4, "customers are angry", final=True, update_ms=3000.0)
    w.publish(r3a)
    w.close()
    return [r0, r1b, r2f, r3a]


def test_timeline_keeps_every_revision_and_latest_readings_keeps_the_last(tmp_path):
    expected = record_run(tmp_path)
    msgs = list(read_timeline(tmp_path / "timeline.jsonl"))
    assert [m["seq"] for m in msgs if m["type"] == "reading"] == [0, 1, 2, 1, 3, 1, 2, 3]  # append-only
    latest = latest_readings(msgs)
    assert latest == [r.to_dict() for r in expected]  # first-emission order, last message of each seq
    assert [(m["revision"], m["final"]) for m in latest] == [(0, True), (2, True), (0, True), (1, True)]


def test_a_version_1_timeline_passes_through():
    v2 = [first_emission(0, 0.1, None, True).to_dict(), first_emission(1, 0.2, 1.0, True).to_dict()]
    old = [{k: v for k, v in m.items() if k not in ("revision", "final", "update_latency_ms")} for m in v2]
    assert latest_readings([{"type": "hello"}, *old]) == old


def test_csv_rows_are_the_last_revision_of_each_reading(tmp_path):
    expected = record_run(tmp_path)
    n = write_csv(read_timeline(tmp_path / "timeline.jsonl"), tmp_path / "timeline.csv")
    rows = list(csv.DictReader((tmp_path / "timeline.csv").open()))
    assert n == len(rows) == 4
    assert [int(r["seq"]) for r in rows] == [0, 1, 2, 3]
    assert [float(r["intensity"]) for r in rows] == [r.intensity for r in expected]
    assert rows[1]["transcript"] == "the launch slipped again" and float(rows[1]["text_intensity"]) == -2.1
    assert rows[0]["text_present"] == "False" and rows[3]["text_present"] == "True"
    assert [(r["revision"], r["final"]) for r in rows] == [("0", "True"), ("2", "True"), ("0", "True"), ("1", "True")]
    assert [float(r["latency_ms"]) for r in rows] == [90.0, 91.0, 92.0, 93.0]  # first-emission latency


def test_report_counts_each_reading_once_as_it_finally_stood(tmp_path):
    expected = record_run(tmp_path)
    files = write_report(tmp_path, run_info={"source": "revised.mp4"})
    s = json.loads(files.summary.read_text())
    assert s["readings"] == 4 and s["revised_readings"] == 2 and s["final_readings"] == 4
    assert s["intensity_min"] == -1.9 and s["intensity_max"] == 0.2
    assert s["presence_rate"]["text"] == 0.75  # the late words reached readings 1 and 3
    text_values = [r.modalities["text"].intensity for r in expected if r.modalities["text"].present]
    assert s["modality_intensity_mean"]["text"] == sum(text_values) / len(text_values)
    assert s["latency_ms_median"] == 92.0  # first emissions: 90, 91, 92, 93
    assert s["final_latency_ms_median"] == 2600.0  # settled at 90 (final at once), 2600, 2100, 3000
    assert files.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
