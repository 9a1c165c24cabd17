"""TextEncoder: real all-MiniLM-L6-v2, loaded offline; token times follow word times."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from streammsa.asr.words import Word
from streammsa.features.text import DIM, TextEncoder, default_text_spec


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder()


WORDS = [
    Word(" I", 0.10, 0.25),
    Word(" am", 0.25, 0.40),
    Word(" transcribing", 0.45, 1.05),
    Word(" this,", 1.10, 1.30),
    Word(" honestly!", 1.40, 2.00),
]


def test_token_times_are_their_word_midpoints(encoder):
    feats = encoder.encode_words(WORDS)
    pieces = [encoder.word_pieces(w.w.strip()) for w in WORDS]
    expected = np.concatenate([[0.5 * (w.start + w.end)] * len(p) for w, p in zip(WORDS, pieces)])
    assert any(len(p) > 1 for p in pieces), "the example must contain a word split into several pieces"
    assert feats.values.shape == (len(expected), DIM)
    np.testing.assert_allclose(feats.times, expected)
    assert np.all(np.diff(feats.times) >= 0)


def test_timed_and_untimed_encodings_of_the_same_words_agree(encoder):
    """Training encodes transcripts with encode(); live encodes ASR words: same words, same features."""
    timed = encoder.encode_words(WORDS)
    untimed = encoder.encode(" ".join(w.w.strip() for w in WORDS))
    np.testing.assert_array_equal(timed.values, untimed)


def test_same_text_gives_identical_features_and_different_texts_differ(encoder):
    a = encoder.encode("I really loved this movie")
    b = encoder.encode("I really loved this movie")
    c = encoder.encode("I really hated this movie")
    np.testing.assert_array_equal(a, b)
    assert a.shape == c.shape == (5, DIM)
    assert not np.allclose(a[2], c[2], atol=1e-3)  # the sentiment word's state differs
    assert np.isfinite(a).all()


def test_special_tokens_are_dropped(encoder):
    assert encoder.encode("hello").shape == (1, DIM)
    assert encoder.encode("").shape == (0, DIM)
    assert len(encoder.encode_words([Word("  ", 0.0, 0.1)])) == 0


def test_batch_encoding_matches_one_by_one(encoder):
    texts = ["short one", "a considerably longer sentence that needs more padding in the batch", "", "ok"]
    batch = encoder.encode_batch(texts)
    for text, got in zip(texts, batch):
        np.testing.assert_allclose(got, encoder.encode(text), atol=1e-5)


def test_long_word_lists_are_chunked_without_losing_words(encoder):
    words = [Word(f"word{i}", i * 0.3, i * 0.3 + 0.2) for i in range(12)]
    n_pieces = sum(len(encoder.word_pieces(w.w)) for w in words)
    calls_before = encoder.calls
    saved = encoder.max_tokens
    encoder.max_tokens = 10  # forces several chunks of whole words
    try:
        feats = encoder.encode_words(words)
    finally:
        encoder.max_tokens = saved
    assert len(feats) == n_pieces
    assert set(np.round(feats.times, 6)) == {round(0.5 * (w.start + w.end), 6) for w in words}
    assert encoder.calls == calls_before + 1  # all chunks go through one batched forward


def test_encode_words_rejects_objects_without_times(encoder):
    with pytest.raises(TypeError, match="w, start, end"):
        encoder.encode_words(["plain string"])


def test_spec_describes_the_output():
    spec = default_text_spec()
    assert (spec.name, spec.extractor, spec.dim, spec.rate_hz) == ("text", "minilm_tokens", DIM, 0.0)
    assert spec.params["model"] == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.data
def test_mosi_transcripts_encode_to_finite_token_sequences(encoder, shared_data: Path):
    with open(shared_data / "mosi" / "label.csv", newline="") as f:
        texts = [row["text"] for _, row in zip(range(16), csv.DictReader(f))]
    out = encoder.encode_batch(texts)
    assert len(out) == len(texts)
    for text, feats in zip(texts, out):
        assert feats.shape[0] >= len(text.split()) and feats.shape[1] == DIM
        assert np.isfinite(feats).all()
