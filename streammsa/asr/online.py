"""``OnlineASRProcessor``: streaming Whisper with a LocalAgreement-2 commit policy.

In the spirit of ufal/whisper_streaming: audio accumulates in a buffer; each
``process_iter()`` re-transcribes the whole buffer (prompted with the last
``prompt_chars`` of committed text that has already left the buffer), commits the words
two consecutive hypotheses agree on (``HypothesisBuffer``), and returns
``ASRStep(committed, partial)``. When the buffer grows past ``buffer_trimming_s`` it is
cut at the end of the last Whisper segment that is fully committed (or, failing that, at
the last committed word), so each decode stays short; silence the recogniser finds no
words in is dropped too. ``finish()`` commits what is still pending at the end of input.

All state is small and explicit (buffer, its stream-time offset, the hypothesis buffer,
the committed list) and decoding is deterministic, so the same audio in the same chunks
gives the same words.

Times are seconds on the stream clock: the first ``insert_audio_chunk(samples, t)``
anchors the buffer at ``t`` (default 0); later chunks are assumed contiguous unless their
``t`` says otherwise (a gap is filled with silence, an overlap is trimmed).

Each ``CommittedWord.committed_at`` is the stream time at which it was committed: by
default the end of the audio received so far (the earliest moment the commit could
happen); pass ``clock=StreamClock.now`` (live) or ``clock=capture.pacer.stream_now`` (paced
replay) to include compute time. The interface is ``streammsa.asr.recogniser.Recogniser``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streammsa.asr.audio_buffer import AudioBuffer, BufferedRecogniser, commit_words
from streammsa.asr.hypothesis import HypothesisBuffer
from streammsa.asr.recogniser import ASRStep, TranscribeBackend
from streammsa.asr.whisper_backend import Transcript
from streammsa.asr.words import CommittedWord, TimedWord
from streammsa.capture.packets import SAMPLE_RATE

SLOW_BEHIND_S = 1.5  # keep_up: this far behind the audio, decode half as often
RECOVER_LOAD = 0.8  # keep_up: back to every min_chunk_s when a decode takes under this share of it
KEEP_COMMITTED = 300  # committed words kept for the prompt and trimming (state stays small)


@dataclass
class OnlineConfig:
    min_chunk_s: float = 1.0  # process_iter does nothing until this much new audio arrived
    # trim the buffer at committed segment ends beyond this length. whisper_streaming uses 15 s; with
    # tiny.en a long buffer of similar sentences made Whisper loop ("F2 now. F2 now. ...", measured on
    # 11 concatenated GRID clips) and each decode costs more; 6 s gave clean transcripts on GRID and
    # the demo clip, while 4 s lost words at trims (measured once; see docs/benchmarks.md).
    buffer_trimming_s: float = 6.0
    prompt_chars: int = 200  # committed text passed to Whisper as its prompt
    max_buffer_s: float = 30.0  # Whisper's window: never let the buffer exceed it
    silence_keep_s: float = 1.0  # when no words are heard at all, keep only this much of the buffer


class OnlineASRProcessor(BufferedRecogniser):
    def __init__(
        self,
        backend: TranscribeBackend,
        config: OnlineConfig | None = None,
        clock: Callable[[], float | None] | None = None,
    ) -> None:
        self.backend = backend
        self.config = config or OnlineConfig()
        self.clock = clock  # may return None (e.g. an unpaced replay): then the audio end is used
        self.reset()

    def reset(self, t: float | None = None) -> None:
        self.buffer = AudioBuffer(t)
        self.hyp = HypothesisBuffer()
        if t is not None:
            self.hyp.last_committed_time = t
        self.committed: list[CommittedWord] = []
        self._forced: list[CommittedWord] = []  # committed by a runaway trim, returned with the step
        self._unprocessed = 0  # samples inserted since the last decode
        self._slow = False  # keep_up: behind the audio, so decoding less often
        self.decodes = 0

    def insert_audio_chunk(self, samples: np.ndarray, t: float | None = None) -> None:
        if t is not None and not self.buffer.anchored:
            self.hyp.last_committed_time = t
        self._unprocessed += self.buffer.insert(samples, t)

    @property
    def ready(self) -> bool:
        """Enough new audio for ``process_iter`` to decode."""
        return self._unprocessed >= self.step_s * SAMPLE_RATE

    @property
    def pending_from(self) -> float | None:
        return self.hyp.previous[0].start if self.hyp.previous else None

    def keep_up(self, behind_s: float, decode_s: float = 0.0) -> str:
        """Behind, or a decode (``decode_s`` stream seconds) longer than ``min_chunk_s``: decode every
        2 x ``min_chunk_s`` (each decode costs the same whatever the new audio)."""
        step = self.config.min_chunk_s
        fits = decode_s <= step * (RECOVER_LOAD if self._slow else 1.0)  # a margin, so it does not flap
        self._slow = behind_s >= SLOW_BEHIND_S or not fits
        return f"decoding every {self.step_s:g} s instead of every {self.config.min_chunk_s:g} s" if self._slow else ""

    @property
    def step_s(self) -> float:
        return self.config.min_chunk_s * (2 if self._slow else 1)

    def prompt(self) -> str:
        """Committed text that is no longer in the audio buffer (last ``prompt_chars``)."""
        out = []
        length = 0
        for w in reversed(self.committed):
            if w.end > self.buffer_offset:
                continue
            out.append(w.text)
            length += len(w.text)
            if length >= self.config.prompt_chars:
                break
        return "".join(reversed(out)).strip()[-self.config.prompt_chars :]

    def _commit(self, words: list[TimedWord]) -> list[CommittedWord]:
        out = commit_words(words, self.clock, self.audio_end)
        self.committed.extend(out)
        if len(self.committed) > 2 * KEEP_COMMITTED:
            # Only the prompt and the trimming look back; the caller keeps the full transcript.
            del self.committed[:-KEEP_COMMITTED]
        return out

    def process_iter(self, force: bool = False) -> ASRStep:
        """Decode the buffer once if ``min_chunk_s`` of new audio arrived (or ``force``)."""
        if not len(self.buffer) or (not force and not self.ready):
            return ASRStep(partial=self.hyp.complete())
        self._unprocessed = 0
        result = self.backend.transcribe(self.audio, init_prompt=self.prompt())
        self.decodes += 1
        self.hyp.insert(result.words, self.buffer_offset)
        committed = self._commit(self.hyp.flush())
        self._trim(result)
        committed += self._forced
        self._forced = []
        return ASRStep(committed=committed, partial=self.hyp.complete())

    def _trim(self, result: Transcript) -> None:
        cfg = self.config
        if self.buffer.duration > cfg.buffer_trimming_s:
            if not result.words:
                # Nothing heard in a long buffer: keep just enough to catch a word starting now.
                self._cut(self.audio_end - cfg.silence_keep_s)
            elif self.committed:
                last_committed = self.committed[-1].end
                # Segment ends (stream time) inside fully committed speech; cut at the last one.
                ends = [self.buffer_offset + e for e in result.segment_ends]
                done = [e for e in ends[:-1] if e <= last_committed]
                self._cut(done[-1] if done else last_committed)
        if self.buffer.duration > cfg.max_buffer_s:
            # Runaway (hypotheses never agree, e.g. noisy speech): Whisper cannot see past 30 s,
            # so finalise the pending words that fall before the cut rather than lose them.
            cut = self.audio_end - cfg.buffer_trimming_s
            forced = [w for w in self.hyp.previous if w.end <= cut]
            if forced:
                self.hyp.previous = self.hyp.previous[len(forced) :]
                self.hyp.last_committed_time = forced[-1].end
                self._forced.extend(self._commit(forced))
            self._cut(cut)

    def _cut(self, t: float) -> None:
        """Drop buffer audio before stream time ``t``."""
        if not self.buffer.cut(t):
            return
        self.hyp.pop_committed(self.buffer_offset)
        # Words pending before the cut can no longer be confirmed by a later decode.
        self.hyp.previous = [w for w in self.hyp.previous if w.start >= self.buffer_offset]

    def finish(self) -> list[CommittedWord]:
        """End of input: decode anything not yet decoded, then commit all pending words."""
        out: list[CommittedWord] = []
        if self._unprocessed and len(self.buffer):
            out.extend(self.process_iter(force=True).committed)
        pending = self.hyp.complete()
        self.hyp.previous = []
        if pending:
            self.hyp.last_committed_time = pending[-1].end
        out.extend(self._commit(pending))
        return out
