"""A meeting read person by person (``--participants``): every output of the run folder, rebuilt from
timeline.jsonl alone, names each participant and counts their numbers on their own; the room's
transcript is never counted twice. A single-stream run comes out as it always did."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from support.meeting_timeline import P1_WORDS, P2_WORDS, UNATTRIBUTED, UTTERANCES, write_meeting_run
from support.timelines import UTTERANCE_TEXTS, write_recorded_run

from streammsa.recorder.outputs import write_outputs
from streammsa.recorder.participants import participants_mode, participants_of
from streammsa.recorder.readings import latest_readings
from streammsa.recorder.report import intensity_figure, write_report
from streammsa.recorder.timeline import read_timeline
from streammsa.recorder.utterances import CSV_COLUMNS as UTTERANCE_COLUMNS

ALL_WORDS = [w for w, _, _ in sorted(P1_WORDS + P2_WORDS + UNATTRIBUTED, key=lambda w: w[1])]
ATTRIBUTED = [w for w, _, _ in P1_WORDS + P2_WORDS]


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    run = write_meeting_run(tmp_path_factory.mktemp("meeting") / "run")
    outputs = write_outputs(run.out_dir, run_info={"source": "meeting.mp4"})
    return run, outputs


def _rows(path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_the_participants_of_the_timeline(meeting):
    run, _ = meeting
    msgs = list(read_timeline(run.timeline))
    assert participants_mode(msgs)
    p1, p2 = participants_of(msgs)
    # the rename keeps p1's pairing; the face paired at 1.0 s is its face
    assert (p1.stream, p1.name, p1.voice, p1.face, p1.left, p1.left_t) == ("p1", "Alice", 0, 2, False, None)
    assert (p1.first_t, p1.last_t) == (0.0, 6.0)  # its last reading's window ends at 6 s
    assert (p2.stream, p2.name, p2.voice, p2.face, p2.left, p2.left_t) == ("p2", "Person 2", 1, 3, True, 6.0)
    assert (p2.first_t, p2.last_t) == (0.5, 5.0)  # last heard saying "news." (ends 5.0), declared gone at 6


def test_a_single_stream_timeline_has_no_participants(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    msgs = list(read_timeline(run.timeline))
    assert not participants_mode(msgs) and participants_of(msgs) == []


def test_csv_names_each_reading_by_its_participants_latest_name(meeting):
    run, _ = meeting
    rows = _rows(run.out_dir / "timeline.csv")
    assert list(rows[0])[:3] == ["stream", "participant", "seq"]
    assert [(r["stream"], r["participant"]) for r in rows] == [("p1", "Alice"), ("p2", "Person 2")] * 3 + [
        ("p1", "Alice")
    ] * 3  # p1's first readings went out before the rename: the latest name still names them
    revised = next(r for r in rows if (r["stream"], r["seq"]) == ("p1", "2"))
    assert (float(revised["intensity"]), revised["revision"], revised["text_present"]) == (-0.5, "1", "True")


def test_summary_has_each_participants_numbers(meeting):
    run, outputs = meeting
    s = json.loads((run.out_dir / "summary.json").read_text())
    assert s == json.loads(json.dumps(outputs.stats))  # the file is what write_outputs returned
    alice, p2 = s["participants"]
    assert {k: alice[k] for k in ("stream", "name", "voice", "face", "first_t", "last_t", "left", "left_t")} == {
        "stream": "p1",
        "name": "Alice",
        "voice": 0,
        "face": 2,
        "first_t": 0.0,
        "last_t": 6.0,
        "left": False,
        "left_t": None,
    }
    assert alice["readings"] == 6
    # 0.5, 1.0, -0.5 (the revision, not its first 2.0), 0.0, -1.5, 1.0
    assert alice["intensity_mean"] == pytest.approx(0.5 / 6)
    assert (alice["intensity_min"], alice["intensity_max"]) == (-1.5, 1.0)
    assert alice["presence_rate"] == pytest.approx({"text": 4 / 6, "audio": 1.0, "vision": 5 / 6})
    assert alice["confidence_mean"] == pytest.approx({"text": 0.6, "audio": 0.8, "vision": 0.5})
    assert alice["words"] == 6 and alice["transcript"] == "Good morning everyone. We shipped it."
    assert alice["alerts_raised"] == 0 and alice["alerts_by_kind"] == {"conflict": 0, "sustained_negative": 0}
    assert alice["most_negative_t"] == 5.0  # seq 4's window [1, 5]
    assert alice["time_negative_s"] == 2.0  # seqs 2 and 4, one hop each

    assert (p2["stream"], p2["name"], p2["voice"], p2["face"]) == ("p2", "Person 2", 1, 3)
    assert (p2["first_t"], p2["last_t"], p2["left"], p2["left_t"]) == (0.5, 5.0, True, 6.0)
    assert p2["readings"] == 3
    assert p2["intensity_mean"] == pytest.approx(-2.5 / 3)
    assert (p2["intensity_min"], p2["intensity_max"]) == (-2.0, 0.5)
    assert p2["presence_rate"] == pytest.approx({"text": 1 / 3, "audio": 2 / 3, "vision": 1.0})
    assert p2["confidence_mean"] == pytest.approx({"text": 0.3, "audio": 0.7, "vision": 0.8})
    assert p2["words"] == 3 and p2["transcript"] == "Hi. Great news."
    assert p2["alerts_raised"] == 1 and p2["alerts_by_kind"] == {"conflict": 0, "sustained_negative": 1}
    assert p2["most_negative_t"] == 3.0
    assert p2["time_negative_s"] == 3.0  # its first window [0, 2] and the next hop


def test_run_level_numbers_stay_over_all_readings(meeting):
    run, _ = meeting
    s = json.loads((run.out_dir / "summary.json").read_text())
    assert s["source"] == "meeting.mp4" and s["model"] == "cacr" and s["trained"] is True
    assert s["readings"] == 9 and s["revised_readings"] == 1 and s["final_readings"] == 9
    assert s["intensity_mean"] == pytest.approx(-2.0 / 9)
    assert (s["intensity_min"], s["intensity_max"]) == (-2.0, 1.0)
    assert s["alerts_raised"] == 1 and s["alerts_by_kind"] == {"conflict": 0, "sustained_negative": 1}
    # the run lasted 6 s of stream time; its people were read for 10 s together, 5 of them negative
    assert s["duration_s"] == 6.0
    assert s["time_negative_s"] == 5.0 and s["time_negative_frac"] == pytest.approx(0.5)


def test_utterances_are_the_participants_with_their_names(meeting):
    run, outputs = meeting
    rows = _rows(run.out_dir / "utterances.csv")
    assert list(rows[0])[:3] == ["stream", "participant", "index"]
    assert [(r["participant"], r["text"]) for r in rows] == UTTERANCES
    assert outputs.utterances == len(UTTERANCES)
    # every attributed word once; "um" (heard in the room, said by nobody known) in none
    assert Counter(" ".join(r["text"] for r in rows).split()) == Counter(ATTRIBUTED)
    hi = next(r for r in rows if r["text"] == "Hi.")
    # p2's own windows [0, 3] (-2.0) and [0, 4] (+0.5) overlap "Hi." equally; none of Alice's counts
    assert (hi["stream"], int(hi["readings"]), float(hi["intensity"])) == ("p2", 2, -0.75)


def _cue_texts(text: str, head: str) -> list[str]:
    blocks = [b.splitlines() for b in text.strip().split("\n\n") if "-->" in b]
    return [" ".join(b[2:-1]) for b in blocks if not b[0].startswith(head)]


def test_subtitle_cues_say_who_speaks(meeting):
    run, _ = meeting
    expected = [f"{name}: {words}" for name, words in UTTERANCES]
    srt = (run.out_dir / "transcript.srt").read_text()
    vtt = (run.out_dir / "transcript.vtt").read_text()
    assert _cue_texts(srt, "WEBVTT") == expected
    assert _cue_texts(vtt, "WEBVTT") == expected
    assert re.findall(r"^(p\d-\d+)$", vtt, re.M) == ["p1-1", "p2-2", "p1-3", "p2-4"]
    for text in (srt, vtt):
        assert "um" not in text.split()
        assert all(text.count(w) == 1 for w in ("morning", "shipped", "news."))


class _Tables(HTMLParser):
    """The text of each cell of the rows with a ``data-testid``, by that id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("data-testid"):
            self._row = []
            self.rows.setdefault(a["data-testid"], []).append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_interactive_report_has_the_participants_table_and_who_said_each_utterance(meeting):
    run, _ = meeting
    page = (run.out_dir / "report.html").read_text()
    tables = _Tables()
    tables.feed(page)
    people = tables.rows["participant"]
    assert [row[:3] for row in people] == [["Alice", "p1", "0 / 2"], ["Person 2", "p2", "1 / 3"]]
    assert people[1][3] == "0.5–5.0 (left at 6.0)" and people[1][4] == "3"
    # the words stay the last cell (report-mode.js reads them there), who said them just before
    assert [(row[-2], row[-1]) for row in tables.rows["utterance"]] == UTTERANCES
    summary = re.search(r'<dl class="kv" data-testid="report-summary">(.*?)</dl>', page, re.S).group(1)
    assert "<dt>readings</dt>" in summary and "participants" not in summary  # a table of their own, not a line


def test_static_report_shows_the_room_transcript_once_and_the_participants(tmp_path):
    run = write_meeting_run(tmp_path / "run")
    files = write_report(run.out_dir)
    page = files.html.read_text()
    transcript = re.search(r"<h2>Transcript</h2><p>(.*?)</p>", page, re.S).group(1)
    assert transcript.split() == ALL_WORDS  # the room's words, each once, "um" included
    tables = _Tables()
    tables.feed(page)
    assert [row[0] for row in tables.rows["participant"]] == ["Alice", "Person 2"]


def test_the_chart_has_one_line_per_participant_named(meeting):
    run, _ = meeting
    import matplotlib.pyplot as plt

    msgs = list(read_timeline(run.timeline))
    readings = sorted(latest_readings(msgs), key=lambda r: (r["stream"], r["t_end"]))
    fig = intensity_figure(readings, [], [], True, {"p1": "Alice", "p2": "Person 2"})
    try:
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Alice", "Person 2"]
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert list(lines["Alice"].get_ydata()) == [0.5, 1.0, -0.5, 0.0, -1.5, 1.0]
        assert list(lines["Person 2"].get_xdata()) == [2.0, 3.0, 4.0]
    finally:
        plt.close(fig)
    assert (run.out_dir / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_single_stream_run_keeps_its_outputs(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    write_outputs(run.out_dir)
    summary = json.loads((run.out_dir / "summary.json").read_text())
    assert "participants" not in summary
    rows = _rows(run.out_dir / "timeline.csv")
    assert {r["participant"] for r in rows} == {""}
    utts = _rows(run.out_dir / "utterances.csv")
    assert list(utts[0]) == UTTERANCE_COLUMNS and [u["text"] for u in utts] == UTTERANCE_TEXTS
    srt = (run.out_dir / "transcript.srt").read_text()
    assert _cue_texts(srt, "WEBVTT") == UTTERANCE_TEXTS  # no "Name: " before the words
    tables = _Tables()
    tables.feed((run.out_dir / "report.html").read_text())
    assert "participant" not in tables.rows
    assert [row[-1] for row in tables.rows["utterance"]] == UTTERANCE_TEXTS
    assert {len(row) for row in tables.rows["utterance"]} == {6}  # time, overall, 3 modalities, words: no who


def test_a_meeting_nobody_joined_still_gives_every_output(tmp_path):
    run = write_meeting_run(tmp_path / "run")
    kept = [line for line in run.timeline.read_text().splitlines() if '"type":"hello"' in line]
    run.timeline.write_text("\n".join(kept) + "\n")  # only the hello of a --participants run
    outputs = write_outputs(run.out_dir)
    assert outputs.stats["participants"] == [] and outputs.stats["readings"] == 0
    assert _rows(run.out_dir / "utterances.csv") == []
    assert (run.out_dir / "utterances.csv").read_text().startswith("stream,participant,index")
    assert all(f.stat().st_size > 0 for f in outputs.files if f.suffix != ".srt")
