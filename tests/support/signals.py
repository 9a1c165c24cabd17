"""Audio where nobody speaks: what a voice must never be read from."""

from __future__ import annotations

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE

KINDS = ("silence", "tone", "noise")


def nobody_speaking(kind: str, seconds: float = 6.0) -> np.ndarray:
    """Digital silence, a 440 Hz tone or white noise, float32 mono at 16 kHz."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    if kind == "silence":
        return np.zeros_like(t, dtype=np.float32)
    if kind == "tone":
        return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return (0.1 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
