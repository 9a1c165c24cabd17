"""The engine loop: ready windows -> model -> readings and alerts -> sinks.

It waits until every active modality's worker has passed a window's end (or the stream has
ended), slices the caches, runs the model on all ready windows as one batch, turns each row
into a ``Reading``, lets the alert rules see it, and emits the reading and any alert events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from streammsa.engine.alerts import AlertEngine
from streammsa.engine.inference import InferenceEngine
from streammsa.engine.readings import build_reading, words_in_window
from streammsa.engine.windowing import Window, collate, slice_window
from streammsa.monitor.graph import Graph
from streammsa.protocol import Message, Reading


class StopRequested(Exception):
    """``Monitor.stop()`` was called: end like Ctrl-C (live sessions, tools, tests)."""


class EngineLoop:
    def __init__(
        self,
        graph: Graph,
        engine: InferenceEngine,
        alerts: AlertEngine,
        emit: Callable[[Message], None],
        on_reading: Callable[[Reading, int], None],
    ) -> None:
        self.graph = graph
        self.engine = engine
        self.alerts = alerts
        self.emit = emit
        self.on_reading = on_reading  # (reading, alert events it caused): run accounting and progress
        self.seq = 0
        self.model_s = 0.0  # busy seconds of windowing + model (the bench's stage breakdown)

    def run(self, stop: threading.Event) -> None:
        """Until the stream has ended and every window is out; raises a worker's or capture's failure."""
        g = self.graph
        poll = g.config.workers.poll_s
        workers_ended = False
        while True:
            if stop.is_set():
                raise StopRequested()
            self.check_failures()
            if not workers_ended and all(c.finished.is_set() for c in g.captures):
                for w in g.workers:
                    w.end()
                workers_ended = True
            if workers_ended and not g.scheduler.ended and all(w.done.is_set() for w in g.workers):
                self.check_failures()
                g.scheduler.end(g.stream_end())
            windows = g.scheduler.ready()
            if windows:
                self.emit_windows(windows)
            elif g.scheduler.ended:
                return
            else:
                time.sleep(poll)

    def check_failures(self) -> None:
        for w in self.graph.workers:
            if w.exception is not None:
                raise w.exception
        for c in self.graph.captures:
            c.check()

    def emit_windows(self, windows: list[Window]) -> None:
        if not windows:
            return
        g, spec = self.graph, self.engine.spec
        t0 = time.perf_counter()
        out = self.engine.run(collate([slice_window(w, g.caches, spec) for w in windows], spec))
        self.model_s += time.perf_counter() - t0
        words = g.asr_worker.committed_words() if g.asr_worker is not None else []
        now = time.monotonic()
        for i, w in enumerate(windows):
            reading = build_reading(
                out,
                i,
                stream=w.stream,
                seq=self.seq,
                t_start=w.t_start,
                t_end=w.t_end,
                transcript=words_in_window(words, w.t_start, w.t_end),
                latency_ms=g.latency.latency_ms(w.t_end, now),
                model=self.engine.name,
                trained=self.engine.trained,
            )
            self.seq += 1
            events = self.alerts.update(reading)
            reading.alerts = self.alerts.active(w.stream)
            self.emit(reading)
            for ev in events:
                self.emit(ev)
            self.on_reading(reading, len(events))
        # no later window starts before this: those features are done with
        keep_from = windows[-1].t_end + spec.hop_s - spec.window_s
        for m in ("audio", "vision"):
            if g.caches[m] is not None:
                g.caches[m].evict_before(keep_from)
