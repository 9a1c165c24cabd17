"""Diarization of a whole recording behind the online diarizer's interface (``--fast`` replays).

A ``--fast`` replay reads a file as fast as it can and waits for its words anyway; it can afford to
hear the whole meeting before deciding who spoke when, and batch clustering of every voice print at
once is clearly better than online assignment (docs/meetings.md: DER 0-8 % vs 0-22 % on the English
meetings). ``DeferredDiarizer`` collects the audio and runs ``BatchDiarizer`` at ``finish``; nothing
is final before that (``final_until`` stays 0).
"""

from __future__ import annotations

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.speakers.batch import BatchDiarizer
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.embedding import SpeakerEmbedder
from streammsa.speakers.segmentation import SpeakerSegmenter
from streammsa.speakers.turns import Diarization, frame_start, seconds_spoken


class DeferredDiarizer:
    """``insert_audio_chunk`` / ``process`` / ``finish`` like ``OnlineDiarizer``; everything final at ``finish``."""

    def __init__(
        self,
        config: DiarizationConfig | None = None,
        segmenter: SpeakerSegmenter | None = None,
        embedder: SpeakerEmbedder | None = None,
        num_speakers: int | None = None,
    ) -> None:
        self.config = config or DiarizationConfig()
        self.batch = BatchDiarizer(self.config, segmenter, embedder)
        self.num_speakers_hint = num_speakers
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._result: Diarization | None = None

    @property
    def audio_end(self) -> float:
        return self._samples / SAMPLE_RATE

    def insert_audio_chunk(self, samples: np.ndarray, t: float | None = None) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if t is not None:  # place it on the stream clock: a gap becomes silence, an overlap is cut
            start = int(round(t * SAMPLE_RATE))
            if start > self._samples:
                self._chunks.append(np.zeros(start - self._samples, np.float32))
                self._samples = start
            elif start < self._samples:
                x = x[self._samples - start :]
        self._chunks.append(x)
        self._samples += len(x)

    def process(self) -> float:
        return self.final_until

    def finish(self) -> float:
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        self._chunks = [audio]
        self._result = self.batch.diarize(audio, self.num_speakers_hint)
        return self.final_until

    @property
    def final_frame(self) -> int:
        return 0 if self._result is None else len(self._result.activity)

    @property
    def final_until(self) -> float:
        return float(frame_start(self.final_frame)) if self._result is not None else 0.0

    @property
    def num_speakers(self) -> int:
        return 0 if self._result is None else len(self._result.speakers)

    def final_activity(self, first: int = 0) -> np.ndarray:
        if self._result is None:
            return np.zeros((0, self.config.max_speakers), bool)
        act = self._result.activity[first:]
        out = np.zeros((len(act), max(self.config.max_speakers, act.shape[1])), bool)
        out[:, : act.shape[1]] = act
        return out

    def diarization(self) -> Diarization:
        return self._result if self._result is not None else Diarization(np.zeros((0, 1), bool))

    def speaking(self, t0: float, t1: float) -> dict[int, float]:
        if self._result is None:
            return {}
        return seconds_spoken(self._result.activity, t0, t1, self.final_frame)
