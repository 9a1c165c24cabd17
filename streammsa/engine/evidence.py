"""Evidence, not presence: a modality counts in a window only when it carries evidence there.

- voice: speech heard in the window (seconds of Silero VAD speech frames), not silence, noise,
  music or a tone; a voice model reading those gives confident nonsense;
- face: a face found in enough of the frames analysed in the window;
- text: recognised words (tokens) in the window.

Each present modality gets a confidence in [0, 1] (how much evidence the window holds); below the
presence rule the modality is absent (masked), so it can neither read nor move the overall reading.
The extra caches are optional: without a speech track (``speech`` cache) or a record of analysed
frames (``face_checks`` cache) the rule falls back to "has features" and the confidence is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streammsa.features.voice_activity import FRAME_S


@dataclass(frozen=True)
class EvidenceConfig:
    # VAD probability above which a 32-ms frame is speech: below Silero's 0.5 onset because acted and shouted
    # RAVDESS speech often scores 0.3-0.5; noise, tones and plucked music stayed below 0.3 here (docs/live-results.md)
    speech_threshold: float = 0.3
    min_speech_s: float = 0.3  # less speech than this in a window: no voice reading
    full_speech_s: float = 2.0  # this much speech or more: voice confidence 1
    min_face_fraction: float = 0.25  # face found in fewer analysed frames than this: no face reading
    full_tokens: int = 6  # this many word tokens or more: text confidence 1


def voice_confidence(speech_probs: np.ndarray, cfg: EvidenceConfig) -> float:
    """0 when the window holds less than ``min_speech_s`` of speech, else up to 1 at ``full_speech_s``."""
    return speech_confidence(
        float(np.count_nonzero(np.asarray(speech_probs).reshape(-1) > cfg.speech_threshold) * FRAME_S), cfg
    )


def speech_confidence(speech_s: float, cfg: EvidenceConfig) -> float:
    """The voice's confidence from seconds of speech in a window: 0 below ``min_speech_s``, 1 from ``full_speech_s``."""
    if speech_s < cfg.min_speech_s:
        return 0.0
    return min(1.0, speech_s / cfg.full_speech_s)


def face_confidence(face_checks: np.ndarray, cfg: EvidenceConfig) -> float:
    """Share of analysed frames with a face (1 = face, 0 = none); 0 below ``min_face_fraction``."""
    checks = np.asarray(face_checks, dtype=np.float32).reshape(-1)
    if len(checks) == 0:
        return 0.0
    fraction = float(checks.mean())
    return fraction if fraction >= cfg.min_face_fraction else 0.0


def text_confidence(n_tokens: int, cfg: EvidenceConfig) -> float:
    return min(1.0, n_tokens / cfg.full_tokens) if n_tokens > 0 else 0.0
