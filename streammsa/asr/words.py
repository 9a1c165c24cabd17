"""Timed words: what the recogniser produces and what the commit policy commits.

Times are seconds on the stream clock once they leave the ``OnlineASRProcessor``
(the backend returns them relative to the audio it was given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE

_PUNCT = re.compile(r"[^\w']+")


def normalise(text: str) -> str:
    """Comparison key: case, surrounding spaces and punctuation do not make two words differ."""
    return _PUNCT.sub("", text.strip().lower())


@dataclass(frozen=True)
class TimedWord:
    start: float
    end: float
    text: str  # as Whisper wrote it, including its leading space
    p: float = 1.0

    def shifted(self, offset: float) -> TimedWord:
        return TimedWord(self.start + offset, self.end + offset, self.text, self.p)

    @property
    def key(self) -> str:
        return normalise(self.text)


@dataclass(frozen=True)
class CommittedWord(TimedWord):
    """A final word; ``committed_at`` is the stream time at which the policy committed it
    (so ``committed_at - end`` is the word's commit latency)."""

    committed_at: float = 0.0

    def to_dict(self) -> dict[str, float | str]:
        return {
            "w": self.text.strip(),
            "start": self.start,
            "end": self.end,
            "p": self.p,
            "committed_at": self.committed_at,
        }


@dataclass(frozen=True)
class Word:
    """A committed word as the rest of the monitor reads it: text ``w`` (no leading space) and its
    ``start``/``end`` in seconds on the stream clock. The one word type of the text cache,
    the windows, the readings and the training set."""

    w: str
    start: float
    end: float
    p: float = 1.0

    @classmethod
    def from_committed(cls, c: TimedWord) -> Word:
        return cls(str(c.text).strip(), float(c.start), float(c.end), float(c.p))


def join_words(words: list[TimedWord] | list[CommittedWord]) -> str:
    """Whisper words carry their own leading spaces; join and tidy."""
    return "".join(w.text for w in words).strip()


def align_chunk(samples: np.ndarray, t: float, buffer_end: float) -> np.ndarray:
    """Place a chunk stamped ``t`` right after a buffer ending at ``buffer_end`` (seconds).

    A capture gap becomes silence and an overlap is cut, so buffer positions stay on the stream
    clock and word timestamps stay true.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    gap = int(round((t - buffer_end) * SAMPLE_RATE))
    if gap > 0:
        return np.concatenate([np.zeros(gap, dtype=np.float32), x])
    return x[-gap:] if gap < 0 else x
