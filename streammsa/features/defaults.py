"""The monitor's default FeatureSpec, and rebuilding its extractors from a checkpoint's spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streammsa.errors import InputError
from streammsa.features import audio, text, vision
from streammsa.features.spec import FeatureSpec, ModalitySpec

if TYPE_CHECKING:
    from streammsa.features.audio import AudioFeatureExtractor
    from streammsa.features.text import TextEncoder
    from streammsa.features.vision import FaceFeatureExtractor

MONITOR_EXTRACTORS = {"text": text.EXTRACTOR, "audio": audio.EXTRACTOR, "vision": vision.EXTRACTOR}


def default_feature_spec(
    window_s: float = 4.0, hop_s: float = 1.0, vision_fps: float = vision.DEFAULT_FPS
) -> FeatureSpec:
    """The spec of the monitor's extractors: MiniLM tokens, 25 Hz log-mel+prosody, face frames at ``vision_fps``."""
    if not (window_s > 0 and hop_s > 0):
        raise InputError(f"window_s and hop_s must be positive, got {window_s} and {hop_s}")
    return FeatureSpec(
        text=text.default_text_spec(),
        audio=audio.default_audio_spec(),
        vision=vision.default_vision_spec(vision_fps),
        window_s=float(window_s),
        hop_s=float(hop_s),
    )


def check_extractable(spec: FeatureSpec) -> None:
    """Raise ``InputError`` unless this streammsa can compute every modality of ``spec`` from media."""
    for name, want in MONITOR_EXTRACTORS.items():
        mod: ModalitySpec = spec[name]
        if mod.extractor != want:
            hint = (
                "dataset features (e.g. MMSA COVAREP/FACET pickles) cannot be computed from live media"
                if mod.extractor == "precomputed"
                else "this streammsa has no such extractor"
            )
            raise InputError(
                f"{name} features come from extractor {mod.extractor!r}, "
                f"but the monitor's {name} uses {want!r}: {hint}; "
                f"use a checkpoint trained on the monitor's features (default_feature_spec)"
            )


def extractors_from_spec(
    spec: FeatureSpec, num_threads: int | None = None
) -> "tuple[TextEncoder, AudioFeatureExtractor, FaceFeatureExtractor]":
    """Build (TextEncoder, AudioFeatureExtractor, FaceFeatureExtractor) exactly as ``spec`` describes.

    Raises ``InputError`` (one line, with what to do) when a modality's extractor is
    unknown or cannot run on media, or its parameters differ from what this version computes.
    The caller owns the face extractor: close it (or use it as a context manager).
    """
    check_extractable(spec)
    enc = text.TextEncoder.from_spec(spec.text, num_threads=num_threads)
    aud = audio.AudioFeatureExtractor.from_spec(spec.audio)
    vis = vision.FaceFeatureExtractor.from_spec(spec.vision)
    return enc, aud, vis
