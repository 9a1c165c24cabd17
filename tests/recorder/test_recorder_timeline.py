"""Recorder: timeline.jsonl flushed per message, CSV one row per reading, report from the timeline alone."""

from __future__ import annotations

import base64
import csv
import json

from streammsa.engine.alerts import AlertConfig, AlertEngine
from streammsa.engine.disagreement import disagreement
from streammsa.monitor.sinks import Sink
from streammsa.protocol import Hello, ModalityReading, Reading, TranscriptEvent
from streammsa.recorder.csv_export import COLUMNS, write_csv
from streammsa.recorder.outputs import write_outputs
from streammsa.recorder.report import UNTRAINED_NOTE, write_report
from streammsa.recorder.timeline import TimelineWriter, read_timeline


def make_reading(seq: int, overall: float, trained: bool = True, vision: bool = True) -> Reading:
    mods = {
        "text": ModalityReading(True, 1.5, 0.9, 0.2),
        "audio": ModalityReading(True, -1.0, 0.2, 0.8),
        "vision": ModalityReading(True, -1.2, 0.2, 0.8) if vision else ModalityReading(False, None, None, None),
    }
    dis = disagreement(mods)  # as build_reading sets it: the words disagree with voice and face
    for m, d in dis.by_modality.items():
        mods[m].disagreement = d
    return Reading(
        stream="s",
        seq=seq,
        t_start=max(0.0, seq - 3.0),
        t_end=seq + 1.0,
        intensity=overall,
        modalities=mods,
        transcript="hello there" if seq == 1 else "",
        alerts=[],
        latency_ms=100.0 + seq,
        model="cacr",
        trained=trained,
        disagreement=dis.window,
    )


def run_messages(out_dir, trained=True, n=8):
    w = TimelineWriter(out_dir / "timeline.jsonl")
    assert isinstance(w, Sink)
    w.publish(
        Hello(
            version="0",
            streams=["s"],
            model="cacr",
            trained=trained,
            presence={},
            thresholds={},
            window_s=4.0,
            hop_s=1.0,
        )
    )
    w.publish(
        TranscriptEvent(
            stream="s",
            kind="committed",
            text="hello there",
            t_start=0.2,
            t_end=1.1,
            words=[{"w": "hello", "start": 0.2, "end": 0.6}, {"w": "there", "start": 0.7, "end": 1.1}],
        )
    )
    eng = AlertEngine(AlertConfig(conflict_windows=2))
    for i in range(n):
        r = make_reading(i, -1.5 if i >= 3 else 0.5, trained=trained, vision=i % 4 != 0)
        events = eng.update(r)
        r.alerts = eng.active("s")
        w.publish(r)
        for e in events:
            w.publish(e)
    return w


def test_every_message_is_on_disk_as_soon_as_it_is_published(tmp_path):
    path = tmp_path / "timeline.jsonl"
    w = TimelineWriter(path)
    for i in range(3):
        w.publish(make_reading(i, 0.1))
        # read through a separate handle while the writer is still open: flushed per reading
        lines = path.read_text().splitlines()
        assert len(lines) == i + 1 and json.loads(lines[-1])["seq"] == i
    w.close()
    w.close()  # idempotent
    w.publish(make_reading(9, 0.0))  # after close: ignored, not a crash
    assert len(path.read_text().splitlines()) == 3


def test_a_torn_last_line_is_skipped_when_reading_back(tmp_path):
    path = tmp_path / "timeline.jsonl"
    w = TimelineWriter(path)
    w.publish(make_reading(0, 0.1))
    w.close()
    with path.open("a") as fh:
        fh.write('{"type":"reading","seq":1,"t_st')  # killed mid-write
    assert [m["seq"] for m in read_timeline(path)] == [0]


def test_csv_has_one_flat_row_per_reading(tmp_path):
    run_messages(tmp_path).close()
    n = write_csv(read_timeline(tmp_path / "timeline.jsonl"), tmp_path / "timeline.csv")
    rows = list(csv.DictReader((tmp_path / "timeline.csv").open()))
    assert n == len(rows) == 8
    assert list(rows[0].keys()) == COLUMNS
    assert rows[0]["vision_present"] == "False" and rows[0]["vision_intensity"] == ""
    assert rows[1]["vision_present"] == "True" and float(rows[1]["vision_intensity"]) == -1.2
    assert rows[1]["transcript"] == "hello there"
    assert "conflict:text" in rows[2]["alerts"]
    # the window's disagreement and who disagrees: the words (positive) against voice and face (negative)
    assert float(rows[1]["disagreement"]) > 0.5 and float(rows[1]["text_disagreement"]) > float(
        rows[1]["audio_disagreement"]
    )


def test_report_summarises_the_timeline(tmp_path, artifacts_dir):
    run_messages(tmp_path).close()
    files = write_report(tmp_path, run_info={"source": "unit.mp4"})
    s = json.loads(files.summary.read_text())
    assert s["readings"] == 8 and s["source"] == "unit.mp4" and s["trained"] is True and s["model"] == "cacr"
    assert s["intensity_min"] == -1.5 and s["intensity_max"] == 0.5
    assert s["time_negative_s"] == 5.0  # readings 3..7, one hop each
    assert s["presence_rate"]["vision"] == 0.75 and s["presence_rate"]["text"] == 1.0
    assert s["alerts_by_kind"] == {"conflict": 1, "sustained_negative": 1}
    assert files.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = files.html.read_text()
    assert base64.b64encode(files.png.read_bytes()).decode()[:200] in html  # self-contained
    assert "hello there" in html and UNTRAINED_NOTE not in html
    (artifacts_dir / "recorder_report_unit.html").write_text(html)


def test_untrained_runs_say_so_in_the_report(tmp_path):
    run_messages(tmp_path, trained=False).close()
    files = write_report(tmp_path)
    assert json.loads(files.summary.read_text())["trained"] is False
    assert UNTRAINED_NOTE in files.html.read_text()


def test_empty_timeline_still_gives_a_report(tmp_path):
    TimelineWriter(tmp_path / "timeline.jsonl").close()
    files = write_report(tmp_path)
    assert json.loads(files.summary.read_text())["readings"] == 0 and files.png.exists()


def test_a_reused_run_folder_starts_a_fresh_timeline(tmp_path):
    w = TimelineWriter(tmp_path / "timeline.jsonl")
    w.publish(make_reading(0, 0.1))
    w.close()
    w2 = TimelineWriter(tmp_path / "timeline.jsonl")
    w2.publish(make_reading(5, 0.1))
    w2.close()
    assert [m["seq"] for m in read_timeline(tmp_path / "timeline.jsonl")] == [5]


def test_the_report_points_to_where_the_modalities_disagreed_most(tmp_path):
    run_messages(tmp_path).close()
    files = write_report(tmp_path)
    s = json.loads(files.summary.read_text())
    moments = s["most_disagreement"]
    # 8 windows of 4 s, one every 1 s, cover 8 s: only two of them fit apart from each other
    assert len(moments) == 2 and 0.5 < s["disagreement_mean"] <= 1.0
    assert [m["disagreement"] for m in moments] == sorted((m["disagreement"] for m in moments), reverse=True)
    spans = sorted((m["t_start"], m["t_end"]) for m in moments)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # apart from each other
    for m in moments:  # the positive words against the negative voice (and face, when seen)
        assert m["who"] == ("text" if "vision" in m["readings"] else "text+audio")
        assert m["readings"]["text"] == 1.5
    assert "Where the modalities disagreed most" in files.html.read_text()
    # the interactive report (the dashboard replaying the run) shows the same table under the chart
    write_outputs(tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert 'data-testid="disagreement-moments"' in page and "report-extra" in page
