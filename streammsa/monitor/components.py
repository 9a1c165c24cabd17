"""The heavy parts of a monitor (model, text encoder, audio extractor, face model, recogniser):
built once, reused across runs by tests, benchmarks and multi-file tools.

Start-up: the model, the face landmarker, the audio and voice-activity extractors and the speech
decoder are loaded, once each, before ``build`` returns, so a bad model file fails before capture
starts; the decoder loads on its own thread while the face and audio extractors load (its native
model loading overlaps theirs). The text encoder (the slowest to load, and first needed when the
recogniser commits its first words) goes on loading in the background while the run starts:
``Loading`` waits for it on first use. Background loads start after the main thread's imports of
the same libraries, so no two threads import one package at once. ``wait()`` waits for everything
(a benchmark times runs, not loading).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
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
    asr_backend: Any  # streammsa.asr.engines.AsrBackends: the decoders, each loaded once
    voice_activity: Any = None  # Silero VAD: where a voice carries evidence (built on first use when None)

    def wait(self) -> Components:
        """Block until every part has loaded (raises a background load's error)."""
        if isinstance(self.text_encoder, Loading):
            self.text_encoder.get()
        return self

    @classmethod
    def build(cls, config: MonitorConfig) -> Components:
        from streammsa import assets
        from streammsa.asr.engines import AsrBackends
        from streammsa.features.audio import AudioFeatureExtractor
        from streammsa.features.defaults import check_extractable
        from streammsa.features.text import TextEncoder
        from streammsa.features.vision import FaceFeatureExtractor
        from streammsa.features.voice_activity import VoiceActivity

        engine = InferenceEngine.from_config(config.engine)
        spec = engine.spec
        check_extractable(spec)  # a model trained on dataset-only features cannot run on media
        assets.minilm_dir()  # the text model loads later: a broken install still fails now
        voice_activity = VoiceActivity()  # first: it imports faster-whisper and ONNX Runtime, which the decoder uses
        decoder = Loading("speech decoder", lambda: AsrBackends(config.whisper, config.online_asr).preload(config.fast))
        faces = FirstThenFresh(lambda: FaceFeatureExtractor.from_spec(spec.vision))  # loads (and checks) one now
        audio = AudioFeatureExtractor.from_spec(spec.audio)
        return cls(
            engine=engine,
            audio_extractor=audio,
            face_extractor_factory=faces,
            asr_backend=decoder.get(),
            voice_activity=voice_activity,
            text_encoder=Loading("text encoder", lambda: TextEncoder.from_spec(spec.text)),  # last: see above
        )


class Loading:
    """A part loading on its own thread; any use (an attribute) waits until it is ready, and raises its
    loading error there (once per use: a run that needs it fails with that one line)."""

    def __init__(self, name: str, load: Callable[[], Any]) -> None:
        self._future: Future[Any] = Future()
        # not a daemon: an exit while it loads waits for it (native libraries abort if killed mid-load)
        threading.Thread(target=self._load, args=(load,), name=f"load-{name}").start()

    def _load(self, load: Callable[[], Any]) -> None:
        try:
            self._future.set_result(load())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever uses the part
            self._future.set_exception(exc)

    def get(self) -> Any:
        return self._future.result()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.get(), attr)


class FirstThenFresh:
    """A factory of per-run face extractors (MediaPipe's VIDEO mode wants one timeline per landmarker): the
    first call returns the one built at load time, later calls build a fresh one. An extractor never handed
    out is closed when the factory goes (its native threads must stop before the interpreter exits)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._ready: Any = make()
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, self._ready.close)

    def __call__(self) -> Any:
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is None:
            return self._make()
        self._finalizer.detach()  # the run that takes it closes it
        return ready
