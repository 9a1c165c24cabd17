"""``SegmentedRecogniser``: streaming recognition that decodes speech segments, not a rolling 30-s window.

A voice-activity detector (``vad.py``) splits the stream into speech segments. While a segment goes
on, the recogniser re-decodes it from its onset every ``step_s`` of new audio and commits the words
two consecutive hypotheses agree on (LocalAgreement-2, as ``OnlineASRProcessor`` does over its
buffer); once the segment ends (``min_silence_s`` of silence) it is decoded one last time and every
word left is committed. Between segments nothing is decoded, so silence costs only the VAD. A
segment longer than ``max_segment_s`` is cut after its last committed word, so no decode ever holds
more than ``max_segment_s`` of audio and the cost of a step is bounded.

Any ``TranscribeBackend`` decodes (Moonshine: cost grows with the segment; Whisper: a fixed 30-s
window per decode). When the backend has no word timestamps (``backend.timestamps is False``), its
words, spread over the audio it was given, are mapped onto the segment's speech (onset to the last
speech frame) rather than the padded audio.

**Keeping up.** ``keep_up(behind_s, decode_s)`` tells the recogniser how far behind the audio it is
and how long a decode takes (stream seconds); it then decodes less often (``slow``: every
``slow_step_s``) and, still behind in that mode, only at the ends of segments and at the
``max_segment_s`` cut (``endpoints``: no partials); ``mode``/``describe()`` say which, so the caller
can report it. A mode's step must outlast a decode: a decode longer than ``step_s`` can never keep the
normal schedule, however small the backlog looks (the caller drains its queue before each decode, so
the backlog alone stays about one decode long). It returns to a faster mode only when a decode takes
under ``recover_load`` of that mode's step. Words are then committed later (at worst about
``max_segment_s`` plus a decode after they are spoken), but their number and timing do not change.

State is small and explicit: the audio since the open segment's onset, the VAD's LSTM state and
the endpointer, the segments closed but not yet decoded, the words committed in the open segment
and the previous hypothesis's pending tail. Decoding is deterministic, so the same audio in the same
chunks gives the same words.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from streammsa.asr.audio_buffer import AudioBuffer, BufferedRecogniser, commit_words
from streammsa.asr.recogniser import ASRStep, TranscribeBackend
from streammsa.asr.vad import FRAME_S, Endpointer, SileroVad, VadConfig
from streammsa.asr.words import CommittedWord, TimedWord, align_chunk
from streammsa.capture.packets import SAMPLE_RATE

MODES = ("normal", "slow", "endpoints")


@dataclass(frozen=True)
class SegmentConfig:
    step_s: float = 0.5  # new audio between partial decodes of an open segment
    max_segment_s: float = 8.0  # cut an open segment after its last committed word beyond this
    pad_s: float = 0.2  # audio kept before a segment's onset and after its last speech
    vad: VadConfig = field(default_factory=VadConfig)
    # keeping up (keep_up): "slow" from slow_behind_s, "endpoints" from endpoints_behind_s
    slow_behind_s: float = 1.5
    endpoints_behind_s: float = 3.0
    slow_step_s: float = 2.0
    recover_load: float = 0.8  # back to a faster mode when a decode takes under this share of its step
    max_repeat: int = 5  # words at a cut's head that may repeat the committed tail (dropped)
    # False: decode each segment once, when it ends (no partials; --fast meetings, where nobody waits for them)
    partials: bool = True


@dataclass
class _Segment:
    start: float  # stream time the segment's audio starts (onset minus pad)
    onset: float  # first speech frame
    last_speech: float  # end of the last speech frame heard so far
    end: float | None = None  # set once the endpointer closed it
    after_cut: bool = False  # restarted by a max_segment_s cut: its head may re-hear committed words


class SegmentedRecogniser(BufferedRecogniser):
    def __init__(
        self,
        backend: TranscribeBackend,
        config: SegmentConfig | None = None,
        clock: Callable[[], float | None] | None = None,
        vad: SileroVad | None = None,
    ) -> None:
        self.backend = backend
        self.config = config or SegmentConfig()
        self.clock = clock
        self.vad = vad or SileroVad()
        self.reset()

    def reset(self) -> None:
        self.buffer = AudioBuffer()
        self.vad.reset()
        self.endpointer = Endpointer(self.config.vad)
        self._vad_t = 0.0  # stream time of the next VAD frame
        self.closed: list[_Segment] = []  # ended, not yet decoded (several when decodes fall behind)
        self.open: _Segment | None = None
        self.seg_committed: list[TimedWord] = []  # committed words of the open segment, in order
        self.tail: list[TimedWord] = []  # pending words of the previous hypothesis (the partial)
        self.last_committed: list[TimedWord] = []  # last words committed (a cut's head may repeat them)
        self._decoded_to = 0.0  # audio end at the last decode of the open segment
        self.mode = "normal" if self.config.partials else "endpoints"
        self.decodes = 0

    # ---- audio in -------------------------------------------------------------------------------

    def insert_audio_chunk(self, samples: np.ndarray, t: float | None = None) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if not self.buffer.anchored:
            self.buffer.insert(np.zeros(0, np.float32), t)
            self._vad_t = self._decoded_to = self.buffer.offset
        elif t is not None:
            x = align_chunk(x, t, self.buffer.end)
        self.buffer.insert(x)
        for p in self.vad.push(x):
            self._on_frame(float(p), self._vad_t)
            self._vad_t += FRAME_S
        if self.open is None and not self.closed:
            # idle: keep only the pad before a possible onset
            self.buffer.cut(self._vad_t - self.config.pad_s)

    def _on_frame(self, prob: float, t: float) -> None:
        event = self.endpointer.feed(prob, t)
        ep = self.endpointer
        if event == "start":
            start = max(self.buffer.offset, ep.start - self.config.pad_s)
            self.open = _Segment(start=start, onset=ep.start, last_speech=ep.last_speech)
            self._decoded_to = t
        elif self.open is not None:
            self.open.last_speech = ep.last_speech
            if event == "end":
                self.open.end = ep.last_speech
                self.closed.append(self.open)
                self.open = None

    # ---- the Recogniser interface ---------------------------------------------------------------

    @property
    def step_s(self) -> float:
        return self.config.slow_step_s if self.mode == "slow" else self.config.step_s

    @property
    def ready(self) -> bool:
        if self.closed:
            return True
        if self.open is None:
            return False
        if self.open_length() > self.config.max_segment_s:
            return True
        return self.mode != "endpoints" and self.buffer.end - self._decoded_to >= self.step_s

    @property
    def pending_from(self) -> float | None:
        """The onset of the first segment not fully committed (its words may still come)."""
        segs = [*self.closed, *([self.open] if self.open is not None else [])]
        if not segs:
            return None
        first = segs[0]
        return max(first.onset, self.seg_committed[-1].end) if self.seg_committed else first.onset

    def open_length(self) -> float:
        return 0.0 if self.open is None else self.buffer.end - self.open.start

    def keep_up(self, behind_s: float, decode_s: float = 0.0) -> str:
        """Adapt to being ``behind_s`` seconds behind the audio with decodes taking ``decode_s`` (stream
        seconds); returns ``describe()``."""
        level = MODES.index(self.mode)
        last = len(MODES) - 1  # endpoints: keeps up with anything the caller does not skip
        want = next((i for i in range(last) if self._keeps_up(i, behind_s, decode_s, i < level)), last)
        # towards fewer decodes one level at a time: a single slow decode does not stop the partials
        self.mode = MODES[min(want, level + 1)]
        return self.describe()

    def _keeps_up(self, level: int, behind_s: float, decode_s: float, recovering: bool) -> bool:
        """Whether mode ``MODES[level]`` (normal or slow) can keep up: not too far behind, and a decode
        ends before the next is due (with a margin to come back to it, so the mode does not flap)."""
        cfg = self.config
        behind_limit, step = ((cfg.slow_behind_s, cfg.step_s), (cfg.endpoints_behind_s, cfg.slow_step_s))[level]
        return behind_s < behind_limit and decode_s <= step * (cfg.recover_load if recovering else 1.0)

    def describe(self) -> str:
        if self.mode == "endpoints":
            return "decoding only at pauses (no partial transcript)"
        if self.mode == "slow":
            return f"decoding every {self.step_s:g} s instead of every {self.config.step_s:g} s"
        return ""

    def process_iter(self, force: bool = False) -> ASRStep:
        committed: list[CommittedWord] = []
        while self.closed:
            committed += self._decode_closed(self.closed.pop(0))
        if self.open is not None and (force or self.ready):
            committed += self._decode_open()
        self._forget_audio()
        return ASRStep(committed=committed, partial=list(self.tail))

    def finish(self) -> list[CommittedWord]:
        """End of input: the open segment ends here; decode and commit everything left."""
        if self.open is not None:
            self.open.end = self.open.last_speech
            self.closed.append(self.open)
            self.open = None
        out: list[CommittedWord] = []
        while self.closed:
            out += self._decode_closed(self.closed.pop(0))
        self._forget_audio()
        return out

    # ---- decoding -------------------------------------------------------------------------------

    def _hypothesis(self, seg: _Segment, speech_end: float) -> list[TimedWord]:
        """Decode the segment's audio up to ``speech_end`` (+ pad); words on the stream clock."""
        end = min(self.buffer.end, speech_end + self.config.pad_s)
        a = int(round((seg.start - self.buffer.offset) * SAMPLE_RATE))
        b = int(round((end - self.buffer.offset) * SAMPLE_RATE))
        audio = self.buffer.samples[max(0, a) : max(0, b)]
        if getattr(self.backend, "forces_prefix", False) and self.seg_committed:
            result = self.backend.transcribe(audio, prefix="".join(w.text for w in self.seg_committed))
        else:
            result = self.backend.transcribe(audio)
        self.decodes += 1
        words = [w.shifted(seg.start) for w in result.words]
        if getattr(self.backend, "timestamps", True) is False and words:
            words = _onto_speech(words, seg.start, end, seg.onset, min(speech_end, end))
        return _drop_repeat(words, self.last_committed, self.config.max_repeat) if seg.after_cut else words

    def _decode_closed(self, seg: _Segment) -> list[CommittedWord]:
        assert seg.end is not None
        words = self._hypothesis(seg, seg.end)
        out = self._commit(_after(words, self.seg_committed))
        self.seg_committed, self.tail = [], []  # the next segment starts afresh
        return out

    def _decode_open(self) -> list[CommittedWord]:
        seg = self.open
        assert seg is not None
        self._decoded_to = self.buffer.end
        fresh = _after(self._hypothesis(seg, seg.last_speech), self.seg_committed)
        agreed = []
        for old, new in zip(self.tail, fresh):
            if old.key != new.key:
                break
            agreed.append(new)
        self.tail = fresh[len(agreed) :]
        out = self._commit(agreed)
        if self.open_length() > self.config.max_segment_s:
            out += self._cut_open()
        return out

    def _cut_open(self) -> list[CommittedWord]:
        """The open segment is too long: restart it after its last committed word (forcing a commit of
        all but the last two pending words when hypotheses never agreed), so decodes stay bounded."""
        seg = self.open
        assert seg is not None
        out: list[CommittedWord] = []
        if not self.seg_committed and len(self.tail) > 2:
            out = self._commit(self.tail[:-2])
            self.tail = self.tail[-2:]
        if not self.seg_committed:
            return out  # nothing to cut after: keep going (max_segment_s is exceeded only briefly)
        cut = min(self.seg_committed[-1].end, self.buffer.end - self.config.step_s)
        seg.start = seg.onset = max(seg.start, cut)
        seg.after_cut = True
        self.seg_committed, self.tail = [], []
        return out

    def _commit(self, words: list[TimedWord]) -> list[CommittedWord]:
        if not words:
            return []
        # estimated times must still be ordered: never before the last committed word
        floor = self.last_committed[-1].end if self.last_committed else -np.inf
        ordered = []
        for w in words:
            start = max(w.start, floor)
            end = max(w.end, start)
            ordered.append(TimedWord(start, end, w.text, w.p))
            floor = end
        self.seg_committed += ordered
        self.last_committed = (self.last_committed + ordered)[-self.config.max_repeat :]
        return commit_words(ordered, self.clock, self.audio_end)

    def _forget_audio(self) -> None:
        """Drop audio no segment needs any more."""
        keep = [s.start for s in self.closed] + ([self.open.start] if self.open is not None else [])
        self.buffer.cut(min(keep) if keep else self._vad_t - self.config.pad_s)


def _after(words: list[TimedWord], committed: list[TimedWord]) -> list[TimedWord]:
    """The part of a hypothesis of the whole segment that follows the words already committed from it."""
    if not committed:
        return list(words)
    ck, wk = [w.key for w in committed], [w.key for w in words]
    if wk[: len(ck)] == ck:
        return list(words[len(ck) :])
    # the decoder re-heard the start differently: follow the best alignment of the committed words
    blocks = [b for b in difflib.SequenceMatcher(a=ck, b=wk, autojunk=False).get_matching_blocks() if b.size]
    if not blocks:
        return list(words[len(ck) :])
    last = blocks[-1]
    return list(words[last.b + last.size + (len(ck) - last.a - last.size) :])


def _drop_repeat(words: list[TimedWord], last: list[TimedWord], max_n: int) -> list[TimedWord]:
    """After a cut the segment may start by repeating the committed tail: drop that n-gram."""
    if not last or not words:
        return words
    for n in range(min(len(last), len(words), max_n), 0, -1):
        if [w.key for w in last[-n:]] == [w.key for w in words[:n]]:
            return words[n:]
    return words


def _onto_speech(words: list[TimedWord], a0: float, a1: float, s0: float, s1: float) -> list[TimedWord]:
    """Map times spread over audio ``[a0, a1]`` onto its speech ``[s0, s1]`` (stream times)."""
    if a1 <= a0 or s1 <= s0:
        return words
    k = (s1 - s0) / (a1 - a0)
    return [TimedWord(s0 + (w.start - a0) * k, s0 + (w.end - a0) * k, w.text, w.p) for w in words]
