"""``Monitor``: one run over its sources, from opening the sinks to the written report.

Threads: one capture thread per source, one worker per feature path (audio frames, ASR +
text tokens, face frames), and the calling thread running the engine loop. Ctrl-C, the end
of the input, ``stop()`` or a stream that breaks mid-file all end the same way: what is ready
is emitted, the sinks are closed in order (timeline, then report, then dashboard), and a
broken stream raises one clear error line with everything so far kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammsa import MODALITIES, __version__, log
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.source import Source
from streammsa.engine.alerts import AlertEngine
from streammsa.errors import StreamMSAError
from streammsa.features.spec import FeatureSpec
from streammsa.monitor.components import Components
from streammsa.monitor.config import MonitorConfig, resolve_alerts
from streammsa.monitor.graph import Graph, wire
from streammsa.monitor.loop import EngineLoop, StopRequested
from streammsa.monitor.progress import Progress
from streammsa.monitor.sinks import DashboardSink, ReportSink, Sink
from streammsa.protocol import Hello, Message, Reading, StatusEvent

logger = log.get("monitor")


class StreamBrokenError(StreamMSAError):
    """The input stopped early (truncated or corrupt mid-file); what came before was processed and kept."""


@dataclass
class RunResult:
    readings: int = 0
    alerts: int = 0
    transcript: str = ""
    duration_s: float = 0.0
    wall_s: float = 0.0
    out_dir: Path | None = None
    report: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    error: str | None = None
    presence: dict[str, int] = field(default_factory=dict)
    counters: dict[str, Any] = field(default_factory=dict)


class Monitor:
    """One run of the monitor over ``sources`` (a media file, or camera + microphone)."""

    def __init__(
        self,
        config: MonitorConfig,
        sources: Sequence[Source],
        *,
        components: Components | None = None,
        sinks: Sequence[Sink] = (),
        source_name: str = "",
        captures: Sequence[CaptureThread] = (),
    ) -> None:
        """``captures``: capture threads already playing some of ``sources``, started held while the components
        loaded (``CaptureThread.start(held=True)``); ``run`` hands over what they kept."""
        # --fast: a file's audio and video decoded on captures of their own, so speech is read beside the face
        self.sources = [part for s in sources for part in s.apart()] if config.fast else list(sources)
        self.captures = list(captures)
        self.source_name = source_name or (self.sources[0].name if self.sources else "stream")
        self.components = components or Components.build(config)
        self.engine = self.components.engine
        self.spec: FeatureSpec = self.engine.spec
        self.config = config
        self.alert_config = resolve_alerts(config, self.engine.meta)
        self.extra_sinks = list(sinks)
        self.sinks: list[Sink] = []
        self.dashboard: DashboardSink | None = None
        self.report_sink: ReportSink | None = None
        self.dashboard_url: str | None = None
        self.has_audio = any(s.has_audio for s in self.sources)
        self.has_video = any(s.has_video for s in self.sources)
        self.result = RunResult(out_dir=config.out_dir, presence={m: 0 for m in MODALITIES})
        self.graph: Graph | None = None
        self.loop: EngineLoop | None = None
        self._progress: Progress | None = None
        self._opened = False
        self._stop_requested = threading.Event()
        self._engine0 = (self.engine.batches_run, self.engine.windows_run)

    # ---- sinks -------------------------------------------------------------------------------

    def _emit(self, message: Message) -> None:
        for sink in self.sinks:
            sink.publish(message)

    def hello(self) -> Hello:
        return Hello(
            version=__version__,
            streams=[self.config.stream],
            model=self.engine.name,
            trained=self.engine.trained,
            presence={"text": self.has_audio, "audio": self.has_audio, "vision": self.has_video},
            thresholds=self.alert_config.thresholds(),
            window_s=self.spec.window_s,
            hop_s=self.spec.hop_s,
            participants=self.config.participants is not None,
        )

    def open(self) -> None:
        """Open the sinks and start the dashboard (so its URL can be printed before the run)."""
        if self._opened:
            return
        self._opened = True
        cfg = self.config
        if cfg.out_dir is not None:
            from streammsa.recorder.timeline import TIMELINE_NAME, TimelineWriter

            self.sinks.append(TimelineWriter(Path(cfg.out_dir) / TIMELINE_NAME))
            if cfg.write_report:
                self.report_sink = ReportSink(Path(cfg.out_dir), self._run_info, prepare=cfg.fast)
                self.sinks.append(self.report_sink)
        if cfg.dashboard.enabled:
            d = cfg.dashboard
            self.dashboard = DashboardSink(d.host, d.port, d.token, d.open_browser, on_rename=self._rename)
            self.dashboard_url = self.dashboard.url
            self.sinks.append(self.dashboard)
        self.sinks += self.extra_sinks
        self._emit(self.hello())  # before the run, so a dashboard opened now already knows the stream

    def close(self, keep_dashboard: bool = False) -> None:
        """Close the sinks in order (the dashboard too unless ``keep_dashboard``); safe to call again."""
        for sink in list(self.sinks):
            if keep_dashboard and sink is self.dashboard:
                continue
            try:
                sink.close()
            except Exception:  # one failing sink must not lose the others' output
                logger.warning("closing %s failed", type(sink).__name__, exc_info=True)
            self.sinks.remove(sink)

    # ---- run ---------------------------------------------------------------------------------

    def run(self) -> RunResult:
        cfg = self.config
        t_wall = time.monotonic()
        self.open()
        failure: BaseException | None = None
        try:
            self.graph = wire(cfg, self.sources, self.components, self._emit, self._on_status, self.captures)
            self.loop = EngineLoop(
                self.graph,
                self.engine,
                AlertEngine(self.alert_config),
                self._emit,
                self._account,
                on_alerts=self._account_alerts,
            )
            if not self.engine.trained:
                detail = "UNTRAINED model (--untrained): readings are not sentiment"
                self._emit(StatusEvent(stream=cfg.stream, state="starting", detail=detail))
            if cfg.progress and not cfg.live:
                durations = [d for d in (getattr(s, "duration", None) for s in self.sources) if d]
                self._progress = Progress(self.source_name, max(durations) if durations else None)
            for w in self.graph.workers:
                w.start()
            for cap in self.graph.captures:
                cap.start()  # (one started held: hands over what it kept, in order)
            self.loop.run(self._stop_requested)
        except (KeyboardInterrupt, StopRequested):
            self.result.interrupted = True
            self._shutdown_now()
            try:  # what is ready is emitted; nothing else is waited for
                if self.loop is not None and self.graph is not None:
                    self.loop.emit_windows(self.graph.scheduler.ready())
                    self.loop.finalize()  # the recogniser has stopped: no more words can join a reading
            except Exception:  # interrupted mid-model: keep what we have
                logger.debug("emitting the last windows failed", exc_info=True)
        except BaseException as exc:  # noqa: BLE001 - finish the recorder first, then re-raise
            failure = exc
            self._shutdown_now()
        finally:
            if self._progress is not None:
                self._progress.close()
                self._progress = None
        self._finish(t_wall, failure)
        if failure is not None:
            raise failure
        if self.result.error:
            where = f"; the timeline up to there is in {cfg.out_dir}" if cfg.out_dir else ""
            raise StreamBrokenError(self.result.error + where)
        return self.result

    def stop(self) -> None:
        """Ask a running ``run()`` (on another thread) to end as Ctrl-C would; safe from any thread."""
        self._stop_requested.set()

    # ---- helpers -----------------------------------------------------------------------------

    def _on_status(self, ev: StatusEvent) -> None:
        if ev.state == "ended" and not ev.detail:
            return  # the monitor reports the end itself, once every stage has drained
        if self.graph is not None and not ev.drops:
            ev.drops = self.graph.drops()
        self._emit(ev)

    def _rename(self, stream: str, name: str) -> None:
        """A dashboard user named a participant: every sink records it (raises ValueError when refused)."""
        meeting = self.graph.meeting if self.graph is not None else None
        if meeting is None:
            raise ValueError("this run has no participants to rename")
        g = self.graph
        self._emit(meeting.directory.rename(stream, name, g.stream_now(default=g.stream_end())))

    def _account_alerts(self, n_events: int) -> None:
        self.result.alerts += n_events

    def _account(self, reading: Reading, n_events: int) -> None:
        self.result.readings += 1
        self.result.alerts += n_events
        for m, mr in reading.modalities.items():
            if mr.present:
                self.result.presence[m] += 1
        if self._progress is not None:
            self._progress.reached(reading.t_end)

    def _shutdown_now(self) -> None:
        if self.graph is None:
            for c in self.captures:  # playing since before the run, and nothing wired to take what they hold
                c.stop()
            return
        for c in self.graph.captures:
            c.stop()
        for w in self.graph.workers:
            w.stop()
        # wait for the current packet of each thread: native libraries (MediaPipe, CTranslate2)
        # abort the process if it exits while their calls are still running
        for w in self.graph.workers:
            w.join(timeout=30)
        for c in self.graph.captures:
            try:
                c.join(timeout=10)
            except BaseException:  # its failure is reported by _finish, not here
                logger.debug("capture ended with an error", exc_info=True)

    def _finish(self, t_wall: float, failure: BaseException | None) -> None:
        cfg, res, g = self.config, self.result, self.graph
        res.error = next((c.source_error for c in g.captures if c.source_error), None) if g else None
        if failure is not None and res.error is None:
            res.error = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
        res.duration_s = g.stream_end() if g else 0.0
        res.wall_s = time.monotonic() - t_wall
        if g is not None and g.asr_worker is not None:
            res.transcript = " ".join(w.w for w in g.asr_worker.committed_words())
        res.counters = self._counters()
        state = "error" if res.error else "ended"
        detail = res.error or ("interrupted" if res.interrupted else "")
        self._emit(StatusEvent(stream=cfg.stream, state=state, detail=detail, t=res.duration_s))
        clean = failure is None and not res.error and not res.interrupted
        self.close(keep_dashboard=cfg.keep_dashboard_open and clean)
        res.report = self.report_sink.stats if self.report_sink is not None else {}

    def _run_info(self) -> dict[str, Any]:
        cfg, res = self.config, self.result
        return {
            "source": self.source_name,
            "stream": cfg.stream,
            "mode": cfg.mode,
            "wall_s": round(res.wall_s, 3),
            "interrupted": res.interrupted,
            "error": res.error,
            "window_s": self.spec.window_s,
            "hop_s": self.spec.hop_s,
            "device": str(self.engine.device),
            "model": self.engine.name,
            "trained": self.engine.trained,
        }

    def _counters(self) -> dict[str, Any]:
        # the engine may serve several runs: count this run's share
        c: dict[str, Any] = {
            "batches": self.engine.batches_run - self._engine0[0],
            "windows": self.engine.windows_run - self._engine0[1],
        }
        g = self.graph
        if g is None:
            return c
        for m, cache in g.caches.items():
            if cache is not None:
                c[f"{m}_cache"] = cache.counters()
        if g.face_worker is not None:
            # frames a file source decoded but did not convert, since the extractor would not analyse them
            skipped = sum(getattr(s, "frames_skipped", 0) for s in g.sources)
            c["frames_seen"] = g.face_worker.frames_seen + skipped
            c["frames_analysed"] = g.face_worker.analysed
            c["faces"] = g.face_worker.faces
            c["frames_dropped"] = g.face_worker.dropped
        if g.meeting is not None:
            c["participants"] = len(g.meeting.directory.streams())
        if g.asr_worker is not None:
            c["asr_decode_s"] = round(g.asr_worker.decode_s, 3)
        # busy seconds per stage (workers run in parallel, so these may add up to more than the wall time)
        c["stage_s"] = {w.name: round(w.busy_s, 3) for w in g.workers}
        c["stage_s"]["windows+model"] = round(self.loop.model_s if self.loop else 0.0, 3)
        if self.loop is not None:  # readings revised when late words joined them, and final re-sends
            c["revisions"], c["confirmations"] = self.loop.revisions, self.loop.confirmations
        return c
