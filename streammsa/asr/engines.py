"""Which recogniser a run uses, by name (``--asr-engine``), and the decoders behind them, loaded once.

| engine | decoder | recogniser |
|---|---|---|
| ``moonshine`` (default) | Moonshine base-en | ``SegmentedRecogniser``: speech segments, re-decoded every 0.5 s |
| ``whisper-vad`` | ``--asr-model`` (tiny.en) | ``SegmentedRecogniser`` |
| ``whisper`` | ``--asr-model`` (tiny.en) | ``OnlineASRProcessor``: LocalAgreement-2 over a rolling buffer |

Measured figures (CPU per second of audio, word commit latency): docs/benchmarks.md, "Speech recognition".

``--fast`` replays always decode long blocks with Whisper (``BatchASRProcessor``): each sample is
decoded about once there, so Whisper's word timestamps and beam search are affordable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from streammsa.asr.fast import BatchASRConfig, BatchASRProcessor
from streammsa.asr.moonshine_backend import MoonshineBackend, MoonshineConfig
from streammsa.asr.online import OnlineASRProcessor, OnlineConfig
from streammsa.asr.recogniser import Recogniser, TranscribeBackend
from streammsa.asr.segmented import SegmentConfig, SegmentedRecogniser
from streammsa.asr.whisper_backend import WhisperBackend, WhisperConfig
from streammsa.errors import UsageError


@dataclass
class StreamingConfig:
    """The live/paced recogniser: which engine, and each engine's settings."""

    engine: str = "moonshine"
    online: OnlineConfig = field(default_factory=OnlineConfig)  # engine "whisper"
    segments: SegmentConfig = field(default_factory=SegmentConfig)  # engines "moonshine" and "whisper-vad"
    moonshine: MoonshineConfig = field(default_factory=MoonshineConfig)


@dataclass(frozen=True)
class Engine:
    help: str
    decoder: str  # "moonshine" | "whisper": which of AsrBackends' decoders it uses
    recogniser: Callable[[TranscribeBackend, StreamingConfig], Recogniser]


def _segmented(backend: TranscribeBackend, cfg: StreamingConfig) -> Recogniser:
    return SegmentedRecogniser(backend, cfg.segments)


def _online(backend: TranscribeBackend, cfg: StreamingConfig) -> Recogniser:
    return OnlineASRProcessor(backend, cfg.online)


ENGINES: dict[str, Engine] = {
    "moonshine": Engine(
        "Moonshine base-en decoding speech segments as they grow (keeps up on 2 cores)", "moonshine", _segmented
    ),
    "whisper-vad": Engine(
        "the Whisper model (--asr-model) decoding speech segments as they grow", "whisper", _segmented
    ),
    "whisper": Engine(
        "the Whisper model re-decoding a rolling buffer every --asr-min-chunk s (about one core for tiny.en)",
        "whisper",
        _online,
    ),
}


def engine(name: str) -> Engine:
    if name not in ENGINES:
        raise UsageError(f"unknown --asr-engine '{name}'; choose from {', '.join(ENGINES)}")
    return ENGINES[name]


class AsrBackends:
    """The decoders a run may need, each loaded on first use and kept: Whisper (``--fast``, and the
    Whisper engines) and Moonshine. ``preload()`` loads the one a run will use, so a bad model file
    fails before capture starts."""

    def __init__(self, whisper: WhisperConfig, streaming: StreamingConfig) -> None:
        self.whisper_config = whisper
        self.streaming_config = streaming

    @cached_property
    def whisper(self) -> WhisperBackend:
        return WhisperBackend(self.whisper_config)

    @cached_property
    def moonshine(self) -> MoonshineBackend:
        return MoonshineBackend(self.streaming_config.moonshine)

    def decoder(self, name: str) -> TranscribeBackend:
        return self.whisper if name == "whisper" else self.moonshine

    def preload(self, fast: bool) -> AsrBackends:
        self.decoder("whisper" if fast else engine(self.streaming_config.engine).decoder)
        return self

    def recogniser(self, fast: bool, streaming: StreamingConfig | None = None, per_segment: bool = False) -> Recogniser:
        """A fresh recogniser for one run: the batch one for ``--fast``, else the configured engine.

        ``per_segment`` (``--fast`` meetings): each speech segment decoded once, on its own. Whisper's
        30-s context copies one person's sentence into the next person's turn (on GRID meetings tiny.en
        wrote one speaker's sentence for every turn of both); a segment holds one voice.
        """
        cfg = streaming or self.streaming_config
        if fast and per_segment:
            chosen = engine(cfg.engine) if engine(cfg.engine).recogniser is _segmented else ENGINES["moonshine"]
            once = dataclasses.replace(cfg.segments, partials=False)
            return SegmentedRecogniser(self.decoder(chosen.decoder), once)
        if fast:
            return BatchASRProcessor(self.whisper, BatchASRConfig())
        chosen = engine(cfg.engine)
        if chosen.decoder == "moonshine" and cfg.moonshine != self.streaming_config.moonshine:
            return chosen.recogniser(MoonshineBackend(cfg.moonshine), cfg)
        return chosen.recogniser(self.decoder(chosen.decoder), cfg)
