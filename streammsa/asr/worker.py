"""``ASRWorker``: the thread between the audio ring and the recogniser.

It polls an ``AudioRing`` for audio it has not seen yet, feeds it to an
``OnlineASRProcessor`` (or ``BatchASRProcessor``), runs ``process_iter`` whenever enough
new audio arrived, and hands every ``TranscriptEvent`` to ``on_event``. When
``source_done()`` turns true and the ring holds nothing new, it calls ``finish()``,
emits the last committed words and ends. Audio the ring dropped before the worker read
it (the recogniser fell behind by more than the ring's capacity) is skipped: the
processor pads the gap with silence so times stay on the stream clock, and the number of
skipped seconds is kept in ``skipped_s``. Exceptions are kept and re-raised by ``join()``.

Typical replay wiring::

    ring = AudioRing(60)
    cap = CaptureThread(MediaFileSource(path), audio_ring=ring, speed=1.0).start()
    asr = OnlineASRProcessor(WhisperBackend(), clock=cap.pacer.stream_now)  # commit times incl. compute
    worker = ASRWorker(asr, ring, on_event=hub.publish, source_done=cap.finished.is_set).start()
    worker.join()
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from streammsa.asr.online import ASRStep, step_events
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.capture.ring_buffer import AudioRing
from streammsa.protocol import TranscriptEvent


class ASRWorker:
    def __init__(self, processor, ring: AudioRing, on_event: Callable[[TranscriptEvent], None], *,
                 source_done: Callable[[], bool], stream: str = "main", poll_s: float = 0.05) -> None:
        self.processor = processor
        self.ring = ring
        self.on_event = on_event
        self.source_done = source_done
        self.stream = stream
        self.poll_s = poll_s
        self.exception: BaseException | None = None
        self.skipped_s = 0.0
        self._next_t: float | None = None  # stream time of the first sample not yet read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"asr-{stream}", daemon=True)

    def start(self) -> ASRWorker:
        self._thread.start()
        return self

    def _pull(self) -> bool:
        """Move new ring audio into the processor; True if there was any."""
        oldest, newest = self.ring.span()
        if newest <= oldest:
            return False
        start = oldest if self._next_t is None else self._next_t
        if newest - start < 1.0 / SAMPLE_RATE:
            return False
        t0, x = self.ring.read_from(start)
        if not len(x):
            return False
        if self._next_t is not None and t0 > self._next_t:
            self.skipped_s += t0 - self._next_t
        self.processor.insert_audio_chunk(x, t0)
        self._next_t = t0 + len(x) / SAMPLE_RATE
        return True

    def _emit(self, step: ASRStep) -> None:
        for event in step_events(step, self.stream):
            self.on_event(event)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                done = self.source_done()  # read before pulling: no audio can slip in after
                got = self._pull()
                if self.processor.ready:
                    self._emit(self.processor.process_iter())
                elif done and not got:
                    break
                elif not got:
                    self._stop.wait(self.poll_s)
            self._emit(ASRStep(committed=self.processor.finish()))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer by join()
            self.exception = exc

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        if self.exception is not None:
            raise self.exception
        return not self._thread.is_alive()
