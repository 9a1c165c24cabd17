"""A composed window's words are found again from its tokens (the composition names only the transcript)."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa import MODALITIES
from streammsa.datasets.pools import PoolCache
from streammsa.errors import InputError
from streammsa.features.defaults import default_feature_spec
from streammsa.training.dataset import Sample
from streammsa.training.evaluation.window_words import run_pieces, window_pieces, window_runs

pytestmark = [pytest.mark.data]


def test_each_window_gets_the_words_of_its_token_run(tmp_path, shared_data):
    spec = default_feature_spec()
    rng = np.random.default_rng(0)
    # "Kids are talking by the door": 6 words; the second word made of two tokens
    tokens = rng.normal(size=(7, spec.text.dim)).astype(np.float32)
    words = np.array([0, 1, 1, 2, 3, 4, 5])
    PoolCache(tmp_path, spec).save("ravdess_statements", "text", {"ravdess_statement/1": ("s", tokens, words)})

    def window(name: str, rows: slice) -> Sample:
        feats = {m: np.zeros((0, spec[m].dim), np.float32) for m in MODALITIES}
        feats["text"] = spec.text.normalise(tokens[rows])
        return Sample(id=name, features=feats, label=0.0)

    samples = [window("a", slice(1, 4)), window("b", slice(6, 7)), window("none", slice(0, 0))]
    rows = {s.id: {"text_source": "ravdess_statement/1"} for s in samples}
    runs = window_runs(samples, rows, tmp_path, spec, shared_data)
    said = [None if r is None else " ".join(r[0][i] for i in r[1]) for r in runs]
    assert said == ["are talking", "door", None]
    # what the text reader reads: the words with the start of their sentence, weighted by the words in the window
    pieces = window_pieces(samples, rows, tmp_path, spec, shared_data)
    assert [[(p.text, p.words_inside) for p in w] for w in pieces][0] == [("Kids are talking", 2)]
    assert pieces[2] == []

    other = window("c", slice(0, 2))
    other.features["text"] = other.features["text"] + 1.0  # tokens of no run of that transcript
    with pytest.raises(InputError, match="not a run"):
        window_runs([other], {"c": {"text_source": "ravdess_statement/1"}}, tmp_path, spec, shared_data)


def test_a_window_is_read_with_the_start_of_its_sentence_as_the_monitor_reads_it():
    words = "The launch went well. I am worried we will miss the deadline again and again".split()
    # the window holds "miss the deadline again" (indices 9-12): its sentence began at "I" (index 4)
    pieces = run_pieces(words, np.arange(9, 13), window_s=4.0)
    assert [(p.text, p.words_inside) for p in pieces] == [("I am worried we will miss the deadline again", 4)]
    # a window across a sentence end: two pieces, each weighted by its words inside the window
    pieces = run_pieces(words, np.arange(2, 6), window_s=4.0)
    assert [(p.text, p.words_inside) for p in pieces] == [("The launch went well.", 2), ("I am", 2)]
    # the start of a sentence is looked for at most 8 s back (here 2 words a second: 16 words)
    long = [f"w{i}" for i in range(40)]
    (piece,) = run_pieces(long, np.arange(30, 38), window_s=4.0)
    assert piece.text.split() == long[14:38] and piece.words_inside == 8
