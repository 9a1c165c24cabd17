"""Feature workers: one thread per modality between capture and the caches.

Each worker takes packets from its own bounded queue, computes features ONCE per
packet (audio hop, video frame, committed ASR segment), appends them to the modality's
cache and advances the window scheduler's watermark for that modality. The engine
only slices the caches. An exception in a worker is kept and re-raised by the pipeline.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable

import numpy as np

from streammsa import log
from streammsa.asr.recogniser import ASRStep, Recogniser
from streammsa.asr.words import Word
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, VideoFrame
from streammsa.engine.transcripts import step_events
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.cache import FeatureCache, TextSegmentCache
from streammsa.features.vision import RateGate
from streammsa.protocol import Message, StatusEvent

logger = log.get("monitor.workers")

_END = object()


class QueueWorker:
    """A daemon thread draining a bounded queue into ``handle``; ``finish`` runs after the end marker."""

    def __init__(self, name: str, maxsize: int, drop_when_full: bool = False) -> None:
        self.name = name
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.drop_when_full = drop_when_full
        self.dropped = 0
        self.handled = 0
        self.busy_s = 0.0  # time spent computing (for the stage breakdown of `streammsa bench`)
        self.exception: BaseException | None = None
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"worker-{name}", daemon=True)

    def start(self) -> "QueueWorker":
        self._thread.start()
        return self

    def put(self, item: Any) -> None:
        """Blocking put (back-pressure on a replay) unless ``drop_when_full`` (live: drop the oldest)."""
        while not self._stop.is_set():
            try:
                if self.drop_when_full:
                    self.queue.put_nowait(item)
                else:
                    self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self.drop_when_full:
                    try:
                        self.queue.get_nowait()
                        self.dropped += 1
                    except queue.Empty:
                        pass

    def end(self) -> None:
        """No more packets: process what is queued, then ``finish``."""
        self.drop_when_full = False  # the end marker must never be dropped
        self.put(_END)

    def stop(self) -> None:
        """Abandon queued work (Ctrl-C)."""
        self._stop.set()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = self.queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                t0 = time.perf_counter()
                if item is _END:
                    self.finish()
                    self.busy_s += time.perf_counter() - t0
                    break
                self.handle(item)
                self.busy_s += time.perf_counter() - t0
                self.handled += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the pipeline thread
            self.exception = exc
            logger.debug("worker %s failed", self.name, exc_info=True)
        finally:
            try:
                self.release()
            finally:
                self.done.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def handle(self, item: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after the last packet (flush streaming state)."""

    def release(self) -> None:
        """Free native resources; runs on the worker thread however it ended (end, stop, error)."""


class AudioFeatureWorker(QueueWorker):
    """Audio chunks -> per-hop audio frames (streaming == whole clip) -> audio cache."""

    def __init__(self, extractor: Any, cache: FeatureCache, scheduler: WindowScheduler, maxsize: int) -> None:
        super().__init__("audio", maxsize)
        self.extractor = extractor
        self.cache = cache
        self.scheduler = scheduler
        self._stream = None
        self.t_end = 0.0

    def handle(self, chunk: AudioChunk) -> None:
        if self._stream is None:
            self._stream = self.extractor.stream(chunk.t)
        self._append(self._stream.push(chunk.samples))
        self.t_end = max(self.t_end, chunk.t_end)

    def finish(self) -> None:
        if self._stream is not None:
            self._append(self._stream.flush())
        self.scheduler.advance("audio", float("inf"))

    def _append(self, feats: Any) -> None:
        if len(feats):
            self.cache.extend(feats)
            # frames are regular: every frame before last + 1/rate has been emitted
            self.scheduler.advance("audio", float(feats.times[-1]) + 1.0 / self.extractor.rate_hz)


# How many bytes of frames a replay may queue for the face worker. The face stage is the slowest, and a
# replay's capture blocks when this queue is full, which would hold back the audio it demuxes with the frames:
# speech recognition (a --fast replay decodes 60-s blocks) then starts late and ends after the face stage.
# Bounded in bytes, not frames: 256 MB is ~80 s of 360p or ~28 s of 640x480 frames at 10 per second.
REPLAY_FRAME_BYTES = 256 * 2**20


class VisionFeatureWorker(QueueWorker):
    """Video frames -> face features at the run's rate (``gate``) -> vision cache.

    A frame with no face adds nothing: the window sees no vision steps and marks vision absent.
    ``checks`` (optional) records every analysed frame, 1 with a face and 0 without, so a window knows
    in how many of its frames a face was found (the face's evidence, ``engine/evidence.py``).
    ``slots``: the run analyses one of every ``slots`` slots of the model's face rate (``slot_s`` apart;
    ``--face-stride``), and each analysed frame's features fill the slots up to the next, so a window holds as many
    face steps as the model was trained on. No ``slot_s``: a subclass that gates frames itself (``FacesWorker``).
    Live, the queue holds ``maxsize`` frames and drops the oldest under load; a replay queues up to
    ``max_bytes`` of frames and then blocks its capture.
    """

    def __init__(
        self,
        extractor: Any,
        cache: FeatureCache,
        scheduler: WindowScheduler,
        maxsize: int,
        live: bool,
        checks: FeatureCache | None = None,
        max_bytes: int = REPLAY_FRAME_BYTES,
        slots: int = 1,
        slot_s: float | None = None,
    ) -> None:
        super().__init__("vision", maxsize if live else 0, drop_when_full=live)
        self.gate = None if slot_s is None else RateGate(1.0 / (max(1, int(slots)) * slot_s))  # frames analysed
        self.offsets = np.arange(max(1, int(slots))) * (slot_s or 0.0)  # where an analysed frame's features stand
        self.max_bytes = max_bytes
        self._queued_bytes = 0
        self._room = threading.Condition()
        self.extractor = extractor
        self.cache = cache
        self.checks = checks
        self.scheduler = scheduler
        self.frames_seen = 0
        self.analysed = 0
        self.faces = 0

    def put(self, item: Any) -> None:
        if self.drop_when_full or not isinstance(item, VideoFrame):
            super().put(item)
            return
        with self._room:  # a replay: wait for room in bytes (always admit one frame)
            while self._queued_bytes and self._queued_bytes + item.image.nbytes > self.max_bytes:
                if self._stop.is_set():
                    return
                self._room.wait(0.1)
            self._queued_bytes += item.image.nbytes
        super().put(item)

    def handle(self, frame: VideoFrame) -> None:
        try:
            self._analyse(frame)
        finally:
            with self._room:
                self._queued_bytes = max(0, self._queued_bytes - frame.image.nbytes)
                self._room.notify()

    def _analyse(self, frame: VideoFrame) -> None:
        self.frames_seen += 1
        if self.gate is not None and self.gate(frame.t):
            self.analysed += 1
            vec = self.extractor.process(frame.image, frame.t)
            # the slots up to the next analysed frame (which the gate never passes before next_due)
            times = frame.t + self.offsets
            times = times[times < (self.gate.next_due or float("inf")) - 1e-6]
            if vec is not None:
                self.cache.append_many(times, np.repeat(np.asarray(vec, dtype=np.float32)[None], len(times), 0))
                self.faces += 1
            if self.checks is not None:
                self.checks.append_many(times, np.full((len(times), 1), 0.0 if vec is None else 1.0, np.float32))
        # frames arrive in time order: every frame before this one has been processed
        self.scheduler.advance("vision", frame.t)

    def finish(self) -> None:
        self.scheduler.advance("vision", float("inf"))

    def release(self) -> None:
        # MediaPipe's graph threads must be shut down before the interpreter exits
        self.extractor.close()


class AsrWorker(QueueWorker):
    """Audio chunks -> ASR -> committed words (each segment encoded once) -> text cache.

    ``processor`` is a ``Recogniser``: the ``OnlineASRProcessor`` (``streaming=True``) or the ``--fast``
    ``BatchASRProcessor``.
    The text watermark is the time before which no more words can be committed:
    - streaming: the start of the first pending (partial) word, or when nothing is pending
      the audio end minus ``tail_guard_s`` (a word being spoken right now is not heard yet),
      and never more than ``max_lag_s`` behind the audio, so live windows do not wait forever;
    - batch: the start of the audio it holds back (everything before it is committed); no
      lag limit, since a fast replay may wait for the words rather than lose them.
    Either way never past ``processor.pending_from`` (speech heard but not yet decided).

    Keeping up (streaming): after each decode, ``behind`` = audio received (``put``) minus audio taken in,
    and ``decode_cost_s`` = how long a decode takes in stream seconds (averaged over the last few). The
    backlog alone cannot tell a recogniser that falls behind: the queue is drained before every decode, so
    it stays about one decode long however slow the decodes are; a decode longer than the audio between
    decodes is what falls behind, so the recogniser is given both.
    The recogniser adapts to them (``keep_up``: longer steps, no partials); when it does, or from
    ``degraded_behind_s`` on, the worker emits ``StatusEvent(state="degraded", detail="speech recognition
    is N s behind: ...")`` (again when what it does changes),
    and ``state="running"`` once it stayed under ``recovered_behind_s`` for ``recover_decodes`` decodes.
    Beyond ``max_behind_s`` it skips the queued audio (its words are lost, the lag is not) until it is
    back within ``tail_guard_s`` of the newest audio, and says so in the status.
    """

    def __init__(
        self,
        processor: Recogniser,
        cache: TextSegmentCache,
        scheduler: WindowScheduler,
        emit: Callable[[Message], None],
        stream: str,
        max_lag_s: float,
        maxsize: int,
        streaming: bool = True,
        tail_guard_s: float = 1.0,
        degraded_behind_s: float = 2.0,
        recovered_behind_s: float = 1.0,
        recover_decodes: int = 3,
        max_behind_s: float = 10.0,
    ) -> None:
        super().__init__("asr", maxsize)
        self.streaming = streaming
        self.degraded_behind_s = degraded_behind_s
        self.recovered_behind_s = recovered_behind_s
        self.recover_decodes = recover_decodes
        self.max_behind_s = max_behind_s
        self._received_end = 0.0  # end of the newest audio handed to this worker (capture thread)
        self._skipping = False
        self.skipped_s = 0.0
        self.behind_s = 0.0  # after the last decode
        self.max_seen_behind_s = 0.0
        self.decode_cost_s = 0.0  # stream seconds a decode takes, moving average (one slow decode is no trend)
        self._timed = 0  # decodes measured into decode_cost_s
        self.degraded = False
        self._calm = 0  # decodes in a row under recovered_behind_s while degraded
        self._doing = ""  # what the recogniser said it does differently, as last reported
        self.statuses: list[StatusEvent] = []  # what it reported (degraded/running), in order
        self.processor = processor
        self.cache = cache
        self.scheduler = scheduler
        self.emit = emit
        self.stream = stream
        self.max_lag_s = max_lag_s
        self.tail_guard_s = tail_guard_s
        self.words: list[Word] = []
        self._words_lock = threading.Lock()
        self._audio_end = 0.0
        self._segments = 0
        self.decode_s = 0.0
        # stream time before which no more words can be committed (the watermark above without the lag
        # bound): an emitted window ending before it is final (monitor/loop.py revises until then)
        self.text_final = 0.0

    def committed_words(self) -> list[Word]:
        with self._words_lock:
            return list(self.words)

    def put(self, item: Any) -> None:
        if isinstance(item, AudioChunk):
            self._received_end = max(self._received_end, item.t_end)
        super().put(item)

    def handle(self, chunk: AudioChunk) -> None:
        if self.streaming and self._skip(chunk):
            return
        self.processor.insert_audio_chunk(chunk.samples, chunk.t)
        self._audio_end = chunk.t_end
        if not self.processor.ready:
            return
        if self.streaming and not self.queue.empty():
            # audio piled up while the last decode ran: take all of it in before decoding again,
            # or each queued chunk would trigger its own decode and the recogniser would never catch up
            return
        t0, s0 = time.perf_counter(), self._stream_now()
        step = self.processor.process_iter()
        wall = time.perf_counter() - t0
        self.decode_s += wall
        if self.streaming:
            self._measure_decode(wall, s0)
            self._keep_up(self._received_end - self._audio_end)
        self._commit(step.committed)
        for ev in step_events(step, self.stream):
            if ev.kind == "partial":
                self.emit(ev)
        if not self.streaming:
            self.text_final = float(self.processor.buffer_offset)
            self.scheduler.advance("text", self.text_final)
            return
        pending = step.partial
        with self._words_lock:
            last = self.words[-1].end if self.words else 0.0
        mark = pending[0].start if pending else max(last, self._audio_end - self.tail_guard_s)
        undecided = self.processor.pending_from
        if undecided is not None:
            mark = min(mark, undecided)
        self.text_final = max(self.text_final, mark)
        self.scheduler.advance("text", max(mark, self._audio_end - self.max_lag_s))

    def finish(self) -> None:
        t0 = time.perf_counter()
        tail = self.processor.finish()
        self.decode_s += time.perf_counter() - t0
        self._commit(tail)
        self.text_final = float("inf")
        self.scheduler.advance("text", float("inf"))

    def _skip(self, chunk: AudioChunk) -> bool:
        """Too far behind: drop queued audio (bounded lag beats complete words) until near the newest."""
        behind = self._received_end - chunk.t_end
        if not self._skipping and behind > self.max_behind_s:
            self._skipping = True
            self._report(behind, "skipping the queued audio")
        if self._skipping and behind <= self.tail_guard_s:
            self._skipping = False
            self._report(behind + chunk.duration, "")
        if self._skipping:
            self.skipped_s += chunk.duration
        return self._skipping

    def _stream_now(self) -> float | None:
        clock = getattr(self.processor, "clock", None)
        return clock() if clock is not None else None

    def _measure_decode(self, wall_s: float, stream_t0: float | None) -> None:
        """Average the decode time in stream seconds (a replay at x2 has half the wall time per audio
        second); wall seconds when no stream clock runs (it then stays put)."""
        t1 = self._stream_now()
        cost = t1 - stream_t0 if t1 is not None and stream_t0 is not None and t1 > stream_t0 else wall_s
        self.decode_cost_s = 0.5 * (self.decode_cost_s + cost) if self._timed else cost
        self._timed += 1

    def _keep_up(self, behind: float) -> None:
        self.behind_s = behind
        self.max_seen_behind_s = max(self.max_seen_behind_s, behind)
        doing = self.processor.keep_up(behind, self.decode_cost_s)
        if behind >= self.degraded_behind_s or doing:
            self._calm = 0
            if not self.degraded or doing != self._doing:  # new, or now doing something else about it
                self._report(behind, doing, self.decode_cost_s)
        elif self.degraded:
            self._calm = self._calm + 1 if behind < self.recovered_behind_s else 0
            if self._calm >= self.recover_decodes:
                self.degraded = False
                self._status("running", f"speech recognition caught up ({behind:.1f} s behind)")

    def _report(self, behind: float, doing: str, decode_s: float = 0.0) -> None:
        self.degraded = True
        self._doing = doing
        self._calm = 0
        what = [doing] if doing else []
        if decode_s:
            what.append(f"a decode takes {decode_s:.1f} s")
        if self.skipped_s:
            what.append(f"skipped {self.skipped_s:.1f} s of audio so far")
        detail = f"speech recognition is {behind:.1f} s behind" + (f": {'; '.join(what)}" if what else "")
        logger.warning("%s", detail)
        self._status("degraded", detail)

    def _status(self, state: str, detail: str) -> None:
        ev = StatusEvent(stream=self.stream, state=state, detail=detail, t=self._audio_end)
        self.statuses.append(ev)
        self.emit(ev)

    def _commit(self, committed: list[Any]) -> None:
        words = [Word.from_committed(c) for c in committed or []]
        words = [w for w in words if w.w]
        if not words:
            return
        self._segments += 1
        self.cache.commit(self._segments, words)  # encoded once, here
        with self._words_lock:
            self.words.extend(words)
        for ev in step_events(ASRStep(committed=list(committed)), self.stream):
            if ev.kind == "committed":
                self.emit(ev)


class AudioTrackWorker(QueueWorker):
    """Audio chunks -> a track of timed rows (``track.stream(t0).push(samples)``, ``flush()``) -> its cache.

    Its own watermark (the worker's name) holds a window back until the track covers it.
    """

    def __init__(self, name: str, track: Any, cache: FeatureCache, scheduler: WindowScheduler, maxsize: int) -> None:
        super().__init__(name, maxsize)
        self.track = track
        self.cache = cache
        self.scheduler = scheduler
        self._stream: Any = None

    def handle(self, chunk: AudioChunk) -> None:
        self._push([chunk])

    def _push(self, chunks: list[AudioChunk]) -> None:
        if self._stream is None:
            self._stream = self.track.stream(chunks[0].t)
        # consecutive chunks of one stream: their samples read as one (the track keeps no per-chunk state)
        self._append(
            self._stream.push(np.concatenate([c.samples for c in chunks]) if len(chunks) > 1 else chunks[0].samples)
        )

    def finish(self) -> None:
        if self._stream is not None:
            self._append(self._stream.flush())
        self.scheduler.advance(self.name, float("inf"))

    def _append(self, rows: Any) -> None:
        if len(rows):
            self.cache.extend(rows)
            self.scheduler.advance(self.name, float(rows.times[-1]) + 1.0 / self.track.rate_hz)


class VoiceActivityWorker(AudioTrackWorker):
    """Speech probability per 32-ms frame (Silero VAD) -> the "speech" cache: a voice is read only where someone
    speaks (``engine/evidence.py``)."""

    def __init__(self, vad: Any, cache: FeatureCache, scheduler: WindowScheduler, maxsize: int) -> None:
        super().__init__("speech", vad, cache, scheduler, maxsize)


class VoiceStatesWorker(AudioTrackWorker):
    """Whisper encoder states every 20 ms (the voice reader's ``states()``: every layer with its tuned blocks,
    features/whisper_layers.py) -> the "voice_states" cache: what the voice reader reads (models/voice_reader.py)."""

    def __init__(
        self, states: Any, cache: FeatureCache, scheduler: WindowScheduler, maxsize: int, hold_s: float = 0.0
    ) -> None:
        super().__init__("voice_states", states, cache, scheduler, maxsize)
        # audio held until this much has come, then read at once in shared encoder passes (VoiceStates.encode_many:
        # half the CPU): --fast, whose windows wait for their words anyway (a replay never queued a backlog itself)
        self.hold_samples = int(hold_s * SAMPLE_RATE)
        self._held: list[AudioChunk] = []
        self._held_samples = 0

    def handle(self, chunk: AudioChunk) -> None:
        self._held.append(chunk)
        self._held_samples += len(chunk.samples)
        if self._held_samples >= self.hold_samples:
            self._release()

    def finish(self) -> None:
        self._release()
        super().finish()

    def _release(self) -> None:
        held, self._held, self._held_samples = self._held, [], 0
        if held:
            self._push(held)
