"""``BatchASRProcessor``: the ``--fast`` replay path, same interface as ``OnlineASRProcessor``.

Instead of re-decoding a growing buffer every ``min_chunk_s`` (streaming: each second of
audio is decoded several times), it waits for ``chunk_s`` of audio (default 60 s; faster-whisper
windows long audio itself), decodes
it once with word timestamps and commits every word except those of the last Whisper
segment, which may be cut mid-sentence by the chunk boundary; that segment's audio is
carried into the next chunk. ``finish()`` decodes the rest and commits everything.

Trade-off: about one decode per sample instead of ``buffer length / min_chunk_s`` decodes,
and Whisper sees whole sentences and can afford beam search (usually fewer errors), but a word is committed only
when its chunk is decoded, so commit latency is up to ``chunk_s`` and there are no useful
partials. Use it for offline replay as fast as possible, never for live monitoring.
``committed_at`` records the audio end at decode time, as in streaming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streammsa.asr.audio_buffer import AudioBuffer, BufferedRecogniser, commit_words
from streammsa.asr.recogniser import ASRStep, TranscribeBackend
from streammsa.asr.words import CommittedWord
from streammsa.capture.packets import SAMPLE_RATE


@dataclass
class BatchASRConfig:
    chunk_s: float = 60.0  # decode once this much audio is buffered
    max_buffer_s: float = 28.0  # below Whisper's 30 s window: force a commit inside one long segment
    hold_s: float = 2.0  # a full buffer with (almost) no words: audio kept at its end, where a word may begin
    prompt_chars: int = 200
    beam_size: int = 5  # each sample is decoded about once here, so beam search is affordable


class BatchASRProcessor(BufferedRecogniser):
    def __init__(
        self,
        backend: TranscribeBackend,
        config: BatchASRConfig | None = None,
        clock: Callable[[], float | None] | None = None,
    ) -> None:
        self.backend = backend
        self.config = config or BatchASRConfig()
        self.clock = clock
        self.buffer = AudioBuffer()
        self.committed: list[CommittedWord] = []
        self.decodes = 0

    def insert_audio_chunk(self, samples: np.ndarray, t: float | None = None) -> None:
        self.buffer.insert(samples, t)

    @property
    def ready(self) -> bool:
        return len(self.buffer) >= self.config.chunk_s * SAMPLE_RATE

    @property
    def pending_from(self) -> float | None:
        return self.buffer_offset if len(self.buffer) else None

    def keep_up(self, behind_s: float, decode_s: float = 0.0) -> str:
        return ""  # --fast is not paced: being behind the audio is what it does

    def _prompt(self) -> str:
        return "".join(w.text for w in self.committed[-60:]).strip()[-self.config.prompt_chars :]

    def _decode(self, final: bool) -> list[CommittedWord]:
        result = self.backend.transcribe(self.audio, init_prompt=self._prompt(), beam_size=self.config.beam_size)
        self.decodes += 1
        words = [w.shifted(self.buffer_offset) for w in result.words]
        cut = self.audio_end
        if not final:
            if len(result.segment_ends) > 1:
                # Hold back the last segment: the chunk boundary may have cut it.
                cut = self.buffer_offset + result.segment_ends[-2]
            elif len(self.buffer) < self.config.max_buffer_s * SAMPLE_RATE:
                return []  # one unfinished segment: wait for more audio
            elif len(words) >= 3:
                cut = words[-3].end  # one very long segment: commit all but its last words
            else:
                # (almost) no words in a full buffer (a long silence): keep only its end, or every later chunk
                # would decode the whole, growing buffer again (a minute of silence cost 470 decodes)
                cut = self.audio_end - self.config.hold_s
                cut = min([cut] + [w.start for w in words if w.end > cut])
            words = [w for w in words if w.end <= cut + 1e-6]
        fresh = [w for w in words if not self.committed or w.start >= self.committed[-1].end - 0.05]
        out = commit_words(fresh, self.clock, self.audio_end)
        self.committed.extend(out)
        self.buffer.cut(cut)
        return out

    def process_iter(self, force: bool = False) -> ASRStep:
        if not len(self.buffer) or not (force or self.ready):
            return ASRStep()
        return ASRStep(committed=self._decode(final=False))

    def finish(self) -> list[CommittedWord]:
        return self._decode(final=True) if len(self.buffer) else []
