"""The one interface of a streaming recogniser, whatever decodes the audio.

The segmented recogniser (``SegmentedRecogniser``: live and paced replay by default), the online one
(``OnlineASRProcessor``: ``--asr-engine whisper``) and the batch one (``BatchASRProcessor``: ``--fast``)
satisfy ``Recogniser``, in the spirit of whisper_streaming:

    rec.insert_audio_chunk(samples, t)   # float32 mono 16 kHz, t on the stream clock
    if rec.ready: step = rec.process_iter()   # ASRStep(committed, partial)
    tail = rec.finish()                  # end of input: commit everything pending

``TranscribeBackend`` is what they decode with (``WhisperBackend``, ``MoonshineBackend``); which
recogniser and backend a run uses is chosen by name in ``engines.py`` (``--asr-engine``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from streammsa.asr.whisper_backend import Transcript
from streammsa.asr.words import CommittedWord, TimedWord


class TranscribeBackend(Protocol):
    def transcribe(self, audio: np.ndarray, init_prompt: str = "", beam_size: int | None = None) -> Transcript: ...


@dataclass
class ASRStep:
    committed: list[CommittedWord] = field(default_factory=list)
    partial: list[TimedWord] = field(default_factory=list)


class Recogniser(Protocol):
    clock: Callable[[], float | None] | None  # stream time "now" for committed_at (None: the audio end)

    @property
    def ready(self) -> bool:
        """Enough new audio for ``process_iter`` to decode."""
        ...

    @property
    def audio_end(self) -> float: ...

    @property
    def buffer_offset(self) -> float:
        """Stream time before which every word is committed (the start of the audio still held)."""
        ...

    @property
    def pending_from(self) -> float | None:
        """Stream time of the earliest speech heard but not yet committed (None: nothing pending)."""
        ...

    def insert_audio_chunk(self, samples: np.ndarray, t: float | None = None) -> None: ...

    def keep_up(self, behind_s: float, decode_s: float = 0.0) -> str:
        """The caller is ``behind_s`` seconds behind the audio and a decode takes about ``decode_s``
        seconds of stream time: decode less often if that helps (a decode longer than the audio between
        decodes cannot keep up at any backlog); returns what the recogniser does differently now ("" when
        nothing)."""
        ...

    def process_iter(self, force: bool = False) -> ASRStep: ...

    def finish(self) -> list[CommittedWord]: ...
