"""Streaming speech recognition: faster-whisper + VAD + a LocalAgreement-2 commit policy.

Public API (all times in seconds on the stream clock)::

    from streammsa.asr import WhisperBackend, WhisperConfig, OnlineASRProcessor, OnlineConfig
    backend = WhisperBackend(WhisperConfig(model=None))       # bundled tiny.en, offline
    asr = OnlineASRProcessor(backend, OnlineConfig(min_chunk_s=1.0, buffer_trimming_s=6))
    asr.insert_audio_chunk(chunk.samples, chunk.t)           # float32 mono 16 kHz
    step = asr.process_iter()                                # ASRStep(committed, partial)
    for ev in step_events(step, stream="main"): ...          # protocol.TranscriptEvent
    tail = asr.finish()                                      # list[CommittedWord]

The monitor runs a processor on its own thread (``streammsa.engine.workers.AsrWorker``), fed
the same audio packets as the audio feature worker.
``BatchASRProcessor`` (``--fast`` replay) has the same methods; see streammsa.asr.fast for
the trade-off. ``CommittedWord`` has start/end/text/p and ``committed_at`` (commit latency
= committed_at - end). ``HypothesisBuffer`` is the commit policy on its own.
"""

from streammsa.asr.fast import BatchASRProcessor, BatchConfig
from streammsa.asr.hypothesis import HypothesisBuffer
from streammsa.asr.online import ASRStep, OnlineASRProcessor, OnlineConfig, step_events
from streammsa.asr.whisper_backend import Transcript, WhisperBackend, WhisperConfig
from streammsa.asr.words import CommittedWord, TimedWord, join_words

__all__ = [
    "ASRStep", "BatchASRProcessor", "BatchConfig", "CommittedWord", "HypothesisBuffer", "OnlineASRProcessor",
    "OnlineConfig", "TimedWord", "Transcript", "WhisperBackend", "WhisperConfig", "join_words", "step_events",
]
