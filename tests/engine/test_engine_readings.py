"""ModelOutput -> Reading: clamping, absent modalities as None, the window's words, latency clock."""

from __future__ import annotations

import json

import pytest
import torch

from streammsa.engine.readings import Word, build_reading, clamp_intensity, sentence_pieces, words_in_window
from streammsa.models.io import ModelOutput
from streammsa.monitor.latency import LatencyClock
from streammsa.protocol import PROTOCOL_VERSION


def output() -> ModelOutput:
    return ModelOutput(
        intensity=torch.tensor([4.2, -0.5]),
        modality_intensity=torch.tensor([[1.0, -7.0, 0.3], [0.1, 0.2, 0.3]]),
        conflict=torch.tensor([[0.2, 0.9, 0.0], [0.0, 0.0, 0.0]]),
        weight=torch.tensor([[0.8, 0.1, 1.0], [1.0, 1.0, 1.0]]),
        present=torch.tensor([[True, True, False], [False, False, True]]),
    )


def test_reading_clamps_intensities_and_nulls_absent_modalities():
    r = build_reading(
        output(),
        0,
        stream="s",
        seq=3,
        t_start=1.0,
        t_end=5.0,
        transcript="hi",
        latency_ms=12.5,
        model="cacr",
        trained=True,
    )
    assert r.intensity == 3.0
    assert r.modalities["audio"].intensity == -3.0
    assert r.modalities["text"].conflict == pytest.approx(0.2)
    assert r.modalities["vision"].present is False
    assert r.modalities["vision"].intensity is None and r.modalities["vision"].conflict is None
    d = json.loads(r.to_json())
    assert d["type"] == "reading" and d["modalities"]["vision"]["intensity"] is None and d["trained"] is True
    r2 = build_reading(
        output(),
        1,
        stream="s",
        seq=4,
        t_start=2.0,
        t_end=6.0,
        transcript="",
        latency_ms=0.0,
        model="dbr",
        trained=False,
    )
    assert [m for m, x in r2.modalities.items() if x.present] == ["vision"]
    assert r2.trained is False and r2.intensity == -0.5


def test_clamp_handles_nan():
    assert clamp_intensity(float("nan")) == 0.0
    assert clamp_intensity(-9) == -3.0


def test_words_belong_to_the_window_holding_their_midpoint():
    ws = [Word("bin", 0.5, 0.9), Word("blue", 0.9, 1.3), Word("at", 1.3, 1.5), Word("now", 3.9, 4.3)]
    assert words_in_window(ws, 0.0, 1.0) == "bin"
    assert words_in_window(ws, 0.0, 2.0) == "bin blue at"
    assert words_in_window(ws, 1.0, 5.0) == "blue at now"


def test_latency_is_measured_from_when_the_stream_reached_the_window_end():
    c = LatencyClock()
    c.observe(0.5, wall=100.0)
    c.observe(1.0, wall=100.5)
    c.observe(2.0, wall=101.5)
    c.observe(1.5, wall=102.0)  # out of order: ignored
    assert c.wall_at(1.0) == 100.5
    assert c.wall_at(1.2) == 101.5
    assert c.latency_ms(1.0, now=100.8) == pytest.approx(300.0)
    assert c.wall_at(3.0) is None
    assert c.latency_ms(3.0, now=101.6) == pytest.approx(100.0)  # not reached yet: from the newest point


def test_a_revision_carries_its_number_final_flag_and_update_latency_on_the_wire():
    kw = dict(stream="s", seq=7, t_start=3.0, t_end=7.0, transcript="", latency_ms=40.0, model="cacr", trained=True)
    first = json.loads(build_reading(output(), 0, final=False, **kw).to_json())
    assert (first["revision"], first["final"], first["update_latency_ms"]) == (0, False, None)
    later = build_reading(output(), 0, revision=2, final=True, update_latency_ms=2350.5, **{**kw, "transcript": "late"})
    d = json.loads(later.to_json())
    assert (d["seq"], d["revision"], d["final"], d["update_latency_ms"], d["latency_ms"]) == (7, 2, True, 2350.5, 40.0)
    assert d["v"] == PROTOCOL_VERSION >= 2 and d["transcript"] == "late"
    assert json.loads(build_reading(output(), 1, **kw).to_json())["final"] is True  # final unless told otherwise


def test_a_modalitys_own_reader_replaces_its_head_and_the_disagreement_follows():
    kw = dict(stream="s", seq=0, t_start=0.0, t_end=4.0, transcript="hi", latency_ms=1.0, model="cacr", trained=True)
    by_head = build_reading(output(), 0, **kw)
    by_reader = build_reading(output(), 0, own={"text": -2.5}, **kw)
    assert by_head.modalities["text"].intensity == 1.0
    assert by_reader.modalities["text"].intensity == -2.5
    assert by_reader.intensity == by_head.intensity  # the overall reading stays the model's
    assert by_reader.modalities["audio"].intensity == by_head.modalities["audio"].intensity
    # text -2.5 against a voice at -3 agree far more than +1.0 against -3 did
    assert by_reader.modalities["text"].disagreement < by_head.modalities["text"].disagreement
    # an absent modality stays absent whatever a reader says
    assert build_reading(output(), 1, own={"text": 2.0}, **kw).modalities["text"].intensity is None


def test_the_text_reader_reads_a_windows_words_by_sentence_with_the_start_of_the_first():
    said = "The team did a wonderful job. But I am worried we will miss the deadline again. Let's agree on a plan"
    ws = [Word(w, 0.4 * k, 0.4 * k + 0.3) for k, w in enumerate(said.split())]  # one word every 0.4 s
    # [3.6, 8.4) holds "worried we will miss the deadline again. Let's agree on a plan": the first piece is read from
    # "But I am", its sentence's start; the window's reading weighs each piece by its words inside the window
    assert words_in_window(ws, 3.6, 8.4).startswith("worried we will")
    pieces = sentence_pieces(ws, 3.6, 8.4)
    assert [(p.text, p.words_inside) for p in pieces] == [
        ("But I am worried we will miss the deadline again.", 7),
        ("Let's agree on a plan", 5),
    ]
    # the last word of an earlier sentence brings that sentence in, with its one word's weight
    assert [(p.text, p.words_inside) for p in sentence_pieces(ws, 2.0, 3.0)][0] == ("The team did a wonderful job.", 1)
    # never a word after the window; at most reach_s back
    assert [p.text for p in sentence_pieces(ws, 4.4, 5.6)] == ["But I am worried we will miss the"]
    assert [p.text for p in sentence_pieces(ws, 4.4, 5.6, reach_s=0.5)] == ["we will miss the"]
    # a pause ends a sentence as a full stop does (speech may come unpunctuated)
    paused = [Word("i", 0.0, 0.3), Word("am", 0.4, 0.7), Word("fine", 2.0, 2.3), Word("now", 2.4, 2.7)]
    assert [p.text for p in sentence_pieces(paused, 0.5, 3.0)] == ["i am", "fine now"]
    assert sentence_pieces(ws, 30.0, 34.0) == []
