"""Cutting segmentation windows and pieces of speech out of audio on the stream's frame grid."""

from __future__ import annotations

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.speakers.segmentation import WINDOW_SAMPLES
from streammsa.speakers.turns import frame_start


def window_at(audio: np.ndarray, first_sample: int) -> np.ndarray:
    """``WINDOW_SAMPLES`` of ``audio`` from ``first_sample`` (may be negative or run past the end: zeros)."""
    out = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
    lo, hi = max(first_sample, 0), min(first_sample + WINDOW_SAMPLES, len(audio))
    if hi > lo:
        out[lo - first_sample : hi - first_sample] = audio[lo:hi]
    return out


def frames_audio(audio: np.ndarray, first: int, stop: int, audio_first_sample: int = 0) -> np.ndarray:
    """Samples of stream frames [first, stop) from ``audio`` whose sample 0 is stream sample ``audio_first_sample``."""
    a = int(round(frame_start(first) * SAMPLE_RATE)) - audio_first_sample
    b = int(round(frame_start(stop) * SAMPLE_RATE)) - audio_first_sample
    return audio[max(a, 0) : max(b, 0)]
