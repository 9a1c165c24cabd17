"""Streaming speech recognition: Moonshine or faster-whisper, VAD speech segments, LocalAgreement-2 commits.

Live and paced runs use the ``--asr-engine`` recogniser (``engines.py``): by default Moonshine base-en
(``moonshine_backend.py``) decoding speech segments as they grow (``SegmentedRecogniser``,
``segmented.py``, segments from the streaming Silero VAD in ``vad.py``); ``--asr-engine whisper`` is the
rolling-buffer ``OnlineASRProcessor`` below.

Public API (all times in seconds on the stream clock)::

    from streammsa.asr import WhisperBackend, WhisperConfig, OnlineASRProcessor, OnlineConfig
    backend = WhisperBackend(WhisperConfig(model=None))       # bundled tiny.en, offline
    asr = OnlineASRProcessor(backend, OnlineConfig(min_chunk_s=1.0, buffer_trimming_s=6))
    asr.insert_audio_chunk(chunk.samples, chunk.t)           # float32 mono 16 kHz
    step = asr.process_iter()                                # ASRStep(committed, partial)
    tail = asr.finish()                                      # list[CommittedWord]

The monitor runs a processor on its own thread (``streammsa.monitor.workers.AsrWorker``), fed
the same audio packets as the audio feature worker.
``BatchASRProcessor`` (``--fast`` replay) has the same methods (both satisfy
``streammsa.asr.recogniser.Recogniser`` and hold their audio in one ``AudioBuffer``); see
streammsa.asr.fast for the trade-off. Turning steps into protocol messages is the engine's job
(``streammsa.engine.transcripts.step_events``). ``CommittedWord`` has start/end/text/p and
``committed_at`` (commit latency = committed_at - end). ``HypothesisBuffer`` is the commit policy on its own.
"""

from streammsa.asr.engines import ENGINES, AsrBackends, StreamingConfig
from streammsa.asr.fast import BatchASRConfig, BatchASRProcessor
from streammsa.asr.hypothesis import HypothesisBuffer
from streammsa.asr.moonshine_backend import MoonshineBackend, MoonshineConfig
from streammsa.asr.online import OnlineASRProcessor, OnlineConfig
from streammsa.asr.recogniser import ASRStep, Recogniser, TranscribeBackend
from streammsa.asr.segmented import SegmentConfig, SegmentedRecogniser
from streammsa.asr.whisper_backend import Transcript, WhisperBackend, WhisperConfig
from streammsa.asr.words import CommittedWord, TimedWord, Word, join_words

__all__ = [
    "ENGINES",
    "ASRStep",
    "AsrBackends",
    "BatchASRProcessor",
    "BatchASRConfig",
    "CommittedWord",
    "HypothesisBuffer",
    "MoonshineBackend",
    "MoonshineConfig",
    "OnlineASRProcessor",
    "OnlineConfig",
    "Recogniser",
    "SegmentConfig",
    "SegmentedRecogniser",
    "StreamingConfig",
    "TimedWord",
    "TranscribeBackend",
    "Transcript",
    "WhisperBackend",
    "WhisperConfig",
    "Word",
    "join_words",
]
