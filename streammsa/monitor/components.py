"""The heavy parts of a monitor (model, text encoder, audio extractor, face model, recogniser):
built once, reused across runs by tests, benchmarks and multi-file tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from streammsa.engine.inference import InferenceEngine

if TYPE_CHECKING:
    from streammsa.monitor.config import MonitorConfig


@dataclass
class Components:
    engine: InferenceEngine
    text_encoder: Any
    audio_extractor: Any
    face_extractor_factory: Callable[[], Any]  # one FaceLandmarker per run: VIDEO mode needs monotonic times
    asr_backend: Any

    @classmethod
    def build(cls, config: MonitorConfig) -> Components:
        from streammsa.asr import WhisperBackend
        from streammsa.features.audio import AudioFeatureExtractor
        from streammsa.features.defaults import check_extractable
        from streammsa.features.text import TextEncoder
        from streammsa.features.vision import FaceFeatureExtractor

        engine = InferenceEngine.from_config(config.engine)
        spec = engine.spec
        check_extractable(spec)  # a model trained on dataset-only features cannot run on media
        FaceFeatureExtractor.from_spec(spec.vision).close()  # fail now, not on the first frame
        return cls(
            engine=engine,
            text_encoder=TextEncoder.from_spec(spec.text),
            audio_extractor=AudioFeatureExtractor.from_spec(spec.audio),
            face_extractor_factory=lambda: FaceFeatureExtractor.from_spec(spec.vision),
            asr_backend=WhisperBackend(config.whisper),
        )
