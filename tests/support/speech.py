"""The espeak-ng sentence the speech-recognition tests speak, and its words as the recogniser should write them."""

from __future__ import annotations

import difflib

from streammsa.asr.words import normalise

SENTENCE = "The quarterly results were better than we expected. Our team worked very hard on the launch."
EXPECTED = [normalise(w) for w in SENTENCE.split()]


def keys(words) -> list[str]:
    """Comparison keys of recognised words (case and punctuation do not count)."""
    return [k for k in (w.key for w in words) if k]


def similarity(got: list[str], expected: list[str]) -> float:
    return difflib.SequenceMatcher(a=got, b=expected).ratio()


def assert_clean_word_stream(words, audio_end: float) -> None:
    """Committed words are inside the audio, final only after they were spoken, in order, never doubled."""
    for w in words:
        assert w.start <= w.end <= audio_end + 0.05
        assert w.committed_at >= w.end  # a word cannot be final before it was spoken
    for a, b in zip(words, words[1:]):
        assert b.start >= a.start  # monotonic
        assert b.start >= a.end - 0.1  # never the same stretch of audio twice
