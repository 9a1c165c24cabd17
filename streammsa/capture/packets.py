"""Packets that capture sources yield, stamped on the stream clock (seconds, 0 at stream start)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
"""Every audio packet is float32 mono at this rate (what Whisper and the audio features expect)."""


@dataclass(frozen=True)
class AudioChunk:
    """``samples``: float32 mono at 16 kHz; ``t``: stream time of the first sample."""

    t: float
    samples: np.ndarray

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def t_end(self) -> float:
        return self.t + self.duration


@dataclass(frozen=True)
class VideoFrame:
    """``image``: HxWx3 RGB uint8; ``t``: stream time at which the frame is shown."""

    t: float
    image: np.ndarray


Packet = AudioChunk | VideoFrame
