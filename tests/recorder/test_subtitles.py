"""Utterances (committed words grouped by pauses and sentence ends, with the mean reading of the
windows they overlap) and the SRT / WebVTT subtitles made from them, on a real recorded timeline."""

from __future__ import annotations

import csv
import re

import pytest
from support.timelines import (
    AUDIO,
    OVERALL,
    UTTERANCE_TEXTS,
    VISION_VALUE,
    WORDS,
    write_recorded_run,
)

from streammsa.recorder.subtitles import reading_line, srt, vtt, write_subtitles
from streammsa.recorder.timeline import read_timeline
from streammsa.recorder.utterances import UtteranceConfig, utterances, write_utterances_csv

SRT_TIME = r"\d{2}:\d{2}:\d{2},\d{3}"
VTT_TIME = r"\d{2}:\d{2}:\d{2}\.\d{3}"


@pytest.fixture
def recorded(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    return run, list(read_timeline(run.timeline))


def test_words_are_grouped_at_pauses_and_sentence_ends(recorded):
    _, msgs = recorded
    utts = utterances(msgs)
    assert [u.text for u in utts] == UTTERANCE_TEXTS
    assert [u.words for u in utts] == [len(t.split()) for t in UTTERANCE_TEXTS]
    first_words = [t.split()[0] for t in UTTERANCE_TEXTS]
    starts = {w: a for w, a, _ in WORDS}
    assert [u.start for u in utts] == [starts[w] for w in first_words]
    assert [u.index for u in utts] == [0, 1, 2]


def test_a_longer_pause_setting_joins_what_a_pause_split(recorded):
    _, msgs = recorded
    joined = utterances(msgs, UtteranceConfig(pause_s=2.0, split_on_sentence_end=False))
    assert [u.text for u in joined] == [" ".join(UTTERANCE_TEXTS)]


def test_long_phrases_are_cut_to_the_longest_cue(recorded):
    _, msgs = recorded
    short = utterances(msgs, UtteranceConfig(pause_s=2.0, max_s=1.0, split_on_sentence_end=False))
    assert len(short) > 3
    assert all(u.end - u.start <= 1.0 + 1e-9 or u.words == 1 for u in short)
    assert " ".join(u.text for u in short) == " ".join(UTTERANCE_TEXTS)  # no word lost or repeated


def test_each_utterance_reads_the_last_revision_of_its_windows(recorded):
    run, msgs = recorded
    # seq 1 was first emitted far from OVERALL and revised to it: only the revision may count
    assert any(m["type"] == "reading" and m["seq"] == 1 and m["intensity"] != OVERALL for m in msgs)
    for u in utterances(msgs):
        assert u.readings >= 1
        assert u.intensity == pytest.approx(OVERALL)
        assert u.modalities["audio"] == pytest.approx(AUDIO)
        assert u.modalities["text"] == pytest.approx(OVERALL)  # words in every window they overlap


def test_a_modality_counts_only_where_present(recorded):
    _, msgs = recorded
    utts = utterances(msgs)
    # the face was seen in the window [0, 3] s only: the first two utterances overlap it, the last does not
    assert utts[0].modalities["vision"] == pytest.approx(VISION_VALUE)
    assert utts[1].modalities["vision"] == pytest.approx(VISION_VALUE)
    assert utts[2].modalities["vision"] is None


def test_utterances_csv_has_one_row_per_utterance_with_empty_absent_cells(recorded, tmp_path):
    _, msgs = recorded
    utts = utterances(msgs)
    path = tmp_path / "utterances.csv"
    assert write_utterances_csv(utts, path) == len(utts)
    rows = list(csv.DictReader(path.open()))
    assert [r["text"] for r in rows] == UTTERANCE_TEXTS
    assert rows[2]["vision_intensity"] == ""
    assert float(rows[0]["audio_intensity"]) == pytest.approx(AUDIO)


def _blocks(text: str) -> list[list[str]]:
    return [b.splitlines() for b in text.strip().split("\n\n")]


def test_srt_has_one_numbered_cue_per_utterance_with_its_reading(recorded):
    _, msgs = recorded
    utts = utterances(msgs)
    blocks = _blocks(srt(utts))
    assert [b[0] for b in blocks] == [str(i) for i in range(1, len(utts) + 1)]
    for b, u in zip(blocks, utts):
        start, end = re.fullmatch(rf"({SRT_TIME}) --> ({SRT_TIME})", b[1]).groups()
        assert start == f"00:00:{int(u.start):02d},{round(u.start % 1 * 1000):03d}"
        assert end > start
        assert " ".join(b[2:-1]) == u.text
        assert b[-1] == reading_line(u)
        assert "+0.5" in b[-1] and "voice −1.0" in b[-1]


def test_cues_never_overlap_even_when_an_utterance_is_an_instant(recorded):
    _, msgs = recorded
    utts = utterances(msgs)
    utts[0].end = utts[0].start  # a one-word utterance stamped at an instant still gets a readable cue
    times = [re.findall(SRT_TIME, b[1]) for b in _blocks(srt(utts))]
    assert times[0][1] > times[0][0]
    assert all(times[i][1] <= times[i + 1][0] for i in range(len(times) - 1))


def test_webvtt_has_the_header_dot_times_and_the_same_cues(recorded):
    _, msgs = recorded
    utts = utterances(msgs)
    text = vtt(utts)
    assert text.startswith("WEBVTT\n")
    cues = [b for b in _blocks(text) if any("-->" in line for line in b)]
    assert len(cues) == len(utts)
    for b, u in zip(cues, utts):
        assert re.fullmatch(rf"{VTT_TIME} --> {VTT_TIME}", b[1])
        assert b[-1] == reading_line(u)


def test_an_untrained_run_says_so_in_every_cue(tmp_path):
    run = write_recorded_run(tmp_path / "run", trained=False)
    utts = utterances(read_timeline(run.timeline))
    assert all(block[-1].startswith("[UNTRAINED") for block in _blocks(srt(utts)))
    assert "UNTRAINED model" in vtt(utts)


def test_write_subtitles_writes_both_formats(recorded, tmp_path):
    _, msgs = recorded
    paths = write_subtitles(utterances(msgs), tmp_path)
    assert sorted(p.name for p in paths) == ["transcript.srt", "transcript.vtt"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_a_run_without_speech_gives_empty_but_valid_subtitles(tmp_path):
    run = write_recorded_run(tmp_path / "run")
    msgs = [m for m in read_timeline(run.timeline) if m["type"] != "transcript"]
    assert utterances(msgs) == []
    assert srt([]) == ""
    assert vtt([]).startswith("WEBVTT")
