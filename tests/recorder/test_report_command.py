"""`streammsa report RUN_DIR`: every output rebuilt from timeline.jsonl alone (a run killed before
its report, or outputs from an older version), the run's own facts kept, bad input in one line."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser

import pytest
from support.timelines import UTTERANCE_TEXTS, write_recorded_run

from streammsa import paths
from streammsa.cli import main
from streammsa.recorder.interactive import RECORDED_TAG_ID

OUTPUTS = (
    "timeline.csv",
    "summary.json",
    "report.png",
    "report.html",
    "utterances.csv",
    "transcript.srt",
    "transcript.vtt",
)


def test_report_rebuilds_every_output_from_the_timeline(tmp_path, capsys):
    run = write_recorded_run(tmp_path / "run")
    assert main(["report", str(run.out_dir)]) == 0
    out = capsys.readouterr().out
    for name in OUTPUTS:
        assert (run.out_dir / name).stat().st_size > 0
        assert str(run.out_dir / name) in out
    rows = list(csv.DictReader((run.out_dir / "timeline.csv").open()))
    assert [int(r["seq"]) for r in rows] == sorted(run.readings_by_seq)  # one row per reading, revisions folded
    revised = next(r for r in rows if r["seq"] == "1")
    assert float(revised["intensity"]) == run.readings_by_seq[1].intensity
    utts = list(csv.DictReader((run.out_dir / "utterances.csv").open()))
    assert [u["text"] for u in utts] == UTTERANCE_TEXTS
    summary = json.loads((run.out_dir / "summary.json").read_text())
    assert summary["readings"] == len(run.readings_by_seq)
    assert summary["model"] == "cacr" and summary["trained"] is True


def test_report_keeps_the_run_facts_of_an_earlier_summary(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    facts = {"source": "board-meeting.mp4", "mode": "paced x1", "wall_s": 61.5, "device": "cuda:0"}
    stale = {**facts, "readings": 999, "intensity_mean": 2.5}
    (run.out_dir / "summary.json").write_text(json.dumps(stale))
    assert main(["report", str(run.out_dir)]) == 0
    summary = json.loads((run.out_dir / "summary.json").read_text())
    assert {k: summary[k] for k in facts} == facts
    assert summary["readings"] == len(run.readings_by_seq)  # recomputed, not carried over
    assert summary["intensity_mean"] != stale["intensity_mean"]


def test_report_accepts_the_timeline_file_itself(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    assert main(["report", str(run.timeline)]) == 0
    assert (run.out_dir / "report.html").is_file()


def test_the_pause_option_changes_the_utterances(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    assert main(["report", str(run.out_dir), "--pause", "5"]) == 0
    utts = list(csv.DictReader((run.out_dir / "utterances.csv").open()))
    assert len(utts) < len(UTTERANCE_TEXTS)  # the 1-s pause no longer splits


def test_report_html_embeds_the_recording_and_the_dashboard_code(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    assert main(["report", str(run.out_dir)]) == 0
    page = (run.out_dir / "report.html").read_text()
    m = re.search(rf'<script type="application/json" id="{RECORDED_TAG_ID}">(.*?)</script>', page, re.S)
    embedded = json.loads(m.group(1))
    recorded = [json.loads(line) for line in run.timeline.read_text().splitlines()]
    # every message but the superseded partial transcripts, revisions included, in timeline order
    assert embedded == [x for x in recorded if not (x["type"] == "transcript" and x["kind"] == "partial")]
    assert "function handleMessage" in page  # the dashboard's own message handling, inlined
    assert 'data-live="false"' in page
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r'(src|href)="(?!data:|#)', page)


def test_a_transcript_cannot_break_out_of_the_embedded_json(tmp_path):
    from streammsa.protocol import TranscriptEvent

    run = write_recorded_run(tmp_path / "other")
    hostile = "</script><script>alert(1)</script>"
    with run.timeline.open("a") as fh:  # one more committed line, with markup in it
        fh.write(TranscriptEvent(stream="meeting", kind="committed", text=hostile, t_start=6.0, t_end=6.5).to_json())
    assert main(["report", str(tmp_path / "other")]) == 0
    page = (tmp_path / "other" / "report.html").read_text()
    assert hostile not in page
    scripts = _ScriptTags()
    scripts.feed(page)
    # the recording, the dashboard's scripts (app.js and those it relies on), report-mode.js: nothing broke out
    dashboard_scripts = re.findall(r'<script src="[\w.-]+\.js"', (paths.web_dir() / "index.html").read_text())
    assert "app.js" in " ".join(dashboard_scripts)
    assert scripts.count == 1 + len(dashboard_scripts) + 1


class _ScriptTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag, attrs):
        self.count += tag == "script"


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: p, "has no timeline.jsonl"),
        (lambda p: (p / "notes.txt").write_text("x") and p / "notes.txt", "is not a run folder"),
    ],
)
def test_bad_run_folders_are_one_line_usage_errors(tmp_path, capsys, make, expected):
    target = make(tmp_path)
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err


def test_an_empty_timeline_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "timeline.jsonl").write_text("")
    assert main(["report", str(tmp_path)]) == 2
    assert "holds no messages" in capsys.readouterr().err
