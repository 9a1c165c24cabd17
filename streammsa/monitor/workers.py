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
from streammsa.capture.packets import AudioChunk, VideoFrame
from streammsa.engine.transcripts import step_events
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.cache import FeatureCache, TextSegmentCache
from streammsa.protocol import Message

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


class VisionFeatureWorker(QueueWorker):
    """Video frames -> face features at the extractor's rate (its ``due`` gate) -> vision cache.

    A frame with no face adds nothing: the window sees no vision steps and marks vision absent.
    """

    def __init__(
        self, extractor: Any, cache: FeatureCache, scheduler: WindowScheduler, maxsize: int, live: bool
    ) -> None:
        super().__init__("vision", maxsize, drop_when_full=live)
        self.extractor = extractor
        self.cache = cache
        self.scheduler = scheduler
        self.frames_seen = 0
        self.analysed = 0
        self.faces = 0

    def handle(self, frame: VideoFrame) -> None:
        self.frames_seen += 1
        if self.extractor.due(frame.t):
            self.analysed += 1
            vec = self.extractor.process(frame.image, frame.t)
            if vec is not None:
                self.cache.append(frame.t, np.asarray(vec, dtype=np.float32))
                self.faces += 1
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
    ) -> None:
        super().__init__("asr", maxsize)
        self.streaming = streaming
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

    def committed_words(self) -> list[Word]:
        with self._words_lock:
            return list(self.words)

    def handle(self, chunk: AudioChunk) -> None:
        self.processor.insert_audio_chunk(chunk.samples, chunk.t)
        self._audio_end = chunk.t_end
        if not self.processor.ready:
            return
        if self.streaming and not self.queue.empty():
            # audio piled up while the last decode ran: take all of it in before decoding again,
            # or each queued chunk would trigger its own decode and the recogniser would never catch up
            return
        t0 = time.perf_counter()
        step = self.processor.process_iter()
        self.decode_s += time.perf_counter() - t0
        self._commit(step.committed)
        for ev in step_events(step, self.stream):
            if ev.kind == "partial":
                self.emit(ev)
        if not self.streaming:
            self.scheduler.advance("text", float(self.processor.buffer_offset))
            return
        pending = step.partial
        with self._words_lock:
            last = self.words[-1].end if self.words else 0.0
        mark = pending[0].start if pending else max(last, self._audio_end - self.tail_guard_s)
        self.scheduler.advance("text", max(mark, self._audio_end - self.max_lag_s))

    def finish(self) -> None:
        t0 = time.perf_counter()
        tail = self.processor.finish()
        self.decode_s += time.perf_counter() - t0
        self._commit(tail)
        self.scheduler.advance("text", float("inf"))

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
