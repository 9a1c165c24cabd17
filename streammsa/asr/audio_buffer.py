"""The audio a recogniser holds, anchored on the stream clock (shared by the online and batch recognisers)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from streammsa.asr.words import CommittedWord, TimedWord, align_chunk
from streammsa.capture.packets import SAMPLE_RATE


class AudioBuffer:
    """Samples from stream time ``offset`` on. The first chunk with a time anchors it; later chunks are
    placed by their times (a gap becomes silence, an overlap is cut), so word times stay true.

    Chunks are joined when the samples are read, not at each insert: a --fast replay inserts a minute of
    40-ms chunks before its first decode, and joining at each insert copied the whole buffer every time."""

    def __init__(self, t: float | None = None) -> None:
        self._joined = np.zeros(0, dtype=np.float32)
        self._chunks: list[np.ndarray] = []  # inserted since the last join
        self._len = 0
        self.offset = 0.0 if t is None else float(t)
        self.anchored = t is not None

    def __len__(self) -> int:
        return self._len

    @property
    def samples(self) -> np.ndarray:
        if self._chunks:
            self._joined = np.concatenate([self._joined, *self._chunks])
            self._chunks = []
        return self._joined

    @property
    def duration(self) -> float:
        return self._len / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.offset + self.duration

    def insert(self, samples: np.ndarray, t: float | None = None) -> int:
        """Append a chunk stamped ``t``; returns how many samples were added."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if t is not None and not self.anchored:
            self.offset = float(t)
        elif t is not None:
            x = align_chunk(x, t, self.end)
        self.anchored = True
        self._chunks.append(x)
        self._len += len(x)
        return len(x)

    def cut(self, t: float) -> bool:
        """Drop the audio before stream time ``t``; True when something was dropped."""
        n = min(int(round((t - self.offset) * SAMPLE_RATE)), self._len)
        if n <= 0:
            return False
        self._joined = self.samples[n:]
        self._len -= n
        self.offset += n / SAMPLE_RATE
        return True


class BufferedRecogniser:
    """What the online and batch recognisers share: an ``AudioBuffer`` and the stream times it implies."""

    buffer: AudioBuffer

    @property
    def audio(self) -> np.ndarray:
        return self.buffer.samples

    @property
    def buffer_offset(self) -> float:
        """Stream time of ``audio[0]``: every word before it is committed."""
        return self.buffer.offset

    @property
    def audio_end(self) -> float:
        return self.buffer.end


def commit_words(
    words: list[TimedWord], clock: Callable[[], float | None] | None, audio_end: float
) -> list[CommittedWord]:
    """Words made final now: ``committed_at`` is the clock's stream time (decode time included) or, without
    a clock, the end of the audio received (the earliest moment the commit could happen)."""
    now = clock() if clock is not None else None
    now = audio_end if now is None else now
    return [CommittedWord(w.start, w.end, w.text, w.p, committed_at=max(now, w.end)) for w in words]
