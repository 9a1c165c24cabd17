"""The monitor, wired end to end: capture -> ASR + features -> windows -> model -> readings -> sinks.

Threads: one capture thread per source (paced replay, ``--fast`` or a live device), one
worker per feature path (audio frames, ASR + text tokens, face frames), and this
(calling) thread running the engine loop: it waits for windows whose every modality
has advanced past their end, slices the caches, runs the model on all ready windows as
one batch, turns the output into readings and alerts, and publishes each message to
every sink (timeline recorder, dashboard, console) through one interface.

Ctrl-C, the end of the input, or a stream that breaks mid-file all end the same way:
the workers drain what they were given, the remaining windows are emitted, the
timeline is closed and the CSV and report are written. A broken stream then raises one
clear error line (non-zero exit) with everything so far kept.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from streammsa import MODALITIES, __version__, log
from streammsa.capture.packets import AudioChunk, Packet, VideoFrame
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.source import Source
from streammsa.engine.alerts import AlertEngine
from streammsa.engine.clock import StreamClock
from streammsa.engine.inference import InferenceEngine
from streammsa.engine.readings import build_reading, words_in_window
from streammsa.engine.windowing import WindowScheduler, collate, slice_window
from streammsa.engine.workers import AsrWorker, AudioFeatureWorker, QueueWorker, VisionFeatureWorker
from streammsa.errors import StreamMSAError
from streammsa.features.cache import FeatureCache, TextSegmentCache
from streammsa.features.spec import FeatureSpec
from streammsa.pipeline_config import DashboardConfig, PipelineConfig
from streammsa.protocol import Hello, Message, Reading, StatusEvent
from streammsa.recorder.sink import Sink

logger = log.get("pipeline")

# The engine evicts what no future window can need (everything before the next window's
# start). The caches' own horizon is only a backstop: it must exceed how far a producer can
# run ahead of the emitted windows (a --fast replay waits up to ~90 s for batch ASR text).
CACHE_HORIZON_S = 600.0


class _StopRequested(Exception):
    """``Monitor.stop()`` was called: end like Ctrl-C (live sessions, tools, tests)."""


class StreamBrokenError(StreamMSAError):
    """The input stopped early (truncated or corrupt mid-file); what came before was processed and kept."""


@dataclass
class Components:
    """The heavy parts (models), built once; tests and multi-run tools reuse them across runs."""

    engine: InferenceEngine
    text_encoder: Any
    audio_extractor: Any
    face_extractor_factory: Callable[[], Any]  # one FaceLandmarker per run: VIDEO mode needs monotonic times
    asr_backend: Any

    @classmethod
    def build(cls, config: PipelineConfig) -> "Components":
        from streammsa.asr import WhisperBackend
        from streammsa.features.audio import AudioFeatureExtractor
        from streammsa.features.defaults import check_live
        from streammsa.features.text import TextEncoder
        from streammsa.features.vision import FaceFeatureExtractor

        engine = InferenceEngine.from_config(config.engine)
        spec = engine.spec
        check_live(spec)  # a model trained on dataset-only features cannot run on live media
        FaceFeatureExtractor.from_spec(spec.vision).close()  # fail now, not on the first frame
        return cls(
            engine=engine,
            text_encoder=TextEncoder.from_spec(spec.text),
            audio_extractor=AudioFeatureExtractor.from_spec(spec.audio),
            face_extractor_factory=lambda: FaceFeatureExtractor.from_spec(spec.vision),
            asr_backend=WhisperBackend(config.whisper),
        )


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


class DashboardSink:
    """The dashboard server behind the Sink interface (publish never blocks)."""

    def __init__(self, cfg: DashboardConfig) -> None:
        from streammsa.server.app import DashboardServer
        from streammsa.server.config import ServerConfig

        self.server = DashboardServer(
            ServerConfig(host=cfg.host, port=cfg.port, token=cfg.token, open_browser=cfg.open_browser)
        )
        self.url = self.server.start()

    def publish(self, message: Message) -> None:
        self.server.publish(message)

    def close(self) -> None:
        self.server.stop()


class Monitor:
    """One run of the monitor over ``sources`` (a media file, or camera + microphone)."""

    def __init__(
        self,
        config: PipelineConfig,
        sources: Sequence[Source],
        *,
        components: Components | None = None,
        sinks: Sequence[Sink] = (),
        source_name: str = "",
    ) -> None:
        self.config = config
        self.sources = list(sources)
        self.source_name = source_name or (self.sources[0].name if self.sources else "stream")
        self.components = components or Components.build(config)
        self.engine = self.components.engine
        self.spec: FeatureSpec = self.engine.spec
        self.extra_sinks = list(sinks)
        self.sinks: list[Sink] = []
        self.clock = StreamClock()
        if config.alerts is None:  # the loaded checkpoint's calibrated thresholds (the CLI's default too)
            from streammsa.engine.alerts import AlertConfig

            config = dataclasses.replace(config, alerts=AlertConfig.from_calibration(self.engine.meta.get("alerts")))
            self.config = config
        self.alerts = AlertEngine(config.alerts)
        self.has_audio = any(s.has_audio for s in self.sources)
        self.has_video = any(s.has_video for s in self.sources)
        active = (["text", "audio"] if self.has_audio else []) + (["vision"] if self.has_video else [])
        self.scheduler = WindowScheduler(config.stream, self.spec.window_s, self.spec.hop_s, active=active)
        self.caches: dict[str, Any] = {m: None for m in MODALITIES}
        self.workers: list[QueueWorker] = []
        self.captures: list[CaptureThread] = []
        self.asr_worker: AsrWorker | None = None
        self.audio_worker: AudioFeatureWorker | None = None
        self.vision_worker: VisionFeatureWorker | None = None
        self.result = RunResult(out_dir=config.out_dir, presence={m: 0 for m in MODALITIES})
        self.dashboard_url: str | None = None
        self._seq = 0
        self._last_video_t: float | None = None
        self._progress = None
        self._opened = False
        self._model_s = 0.0
        self._stop_requested = threading.Event()
        self._engine0 = (self.engine.batches_run, self.engine.windows_run)

    # ---- set-up ----------------------------------------------------------------------------

    def _emit(self, message: Message) -> None:
        for sink in self.sinks:
            sink.publish(message)

    def _build_workers(self) -> None:
        cfg, comp, wc = self.config, self.components, self.config.workers
        if self.has_audio:
            from streammsa.asr import BatchASRProcessor, BatchConfig, OnlineASRProcessor

            self.caches["audio"] = FeatureCache(self.spec.audio.dim, CACHE_HORIZON_S, name="audio")
            self.caches["text"] = TextSegmentCache(comp.text_encoder, self.spec.text.dim, CACHE_HORIZON_S)
            self.audio_worker = AudioFeatureWorker(comp.audio_extractor, self.caches["audio"], self.scheduler, wc.queue_packets)
            # --fast: the batch recogniser decodes long blocks once (fastest, keeps word timestamps)
            if cfg.fast:
                processor = BatchASRProcessor(comp.asr_backend, BatchConfig())
            else:
                processor = OnlineASRProcessor(comp.asr_backend, cfg.online_asr)
                # commit times on the stream clock *including* decode time, so commit latency is honest
                processor.clock = lambda p=processor: self._stream_now(default=p.audio_end)
            self.asr_worker = AsrWorker(
                processor,
                self.caches["text"],
                self.scheduler,
                self._emit,
                cfg.stream,
                wc.text_max_lag_s,
                wc.queue_packets,
                streaming=not cfg.fast,
            )
            self.workers += [self.audio_worker, self.asr_worker]
        if self.has_video:
            self.caches["vision"] = FeatureCache(self.spec.vision.dim, CACHE_HORIZON_S, name="vision")
            self.vision_worker = VisionFeatureWorker(
                comp.face_extractor_factory(), self.caches["vision"], self.scheduler, wc.queue_packets, live=cfg.live
            )
            self.workers.append(self.vision_worker)

    def _stream_now(self, default: float) -> float:
        """Where the stream is now: the replay pacing's clock, or a live device's clock."""
        for c in self.captures:
            t = c.pacer.stream_now()
            if t is not None:
                return t
        for src in self.sources:
            clock = getattr(src, "clock", None)
            if src.is_live and clock is not None and clock.started:
                return clock.now()
        return default

    def _on_packet(self, pkt: Packet) -> None:
        # runs on a capture thread: only hand packets over, never compute here
        if isinstance(pkt, AudioChunk):
            assert self.audio_worker is not None and self.asr_worker is not None
            self.audio_worker.put(pkt)
            self.asr_worker.put(pkt)
            self.clock.observe(pkt.t_end)
            if not self.config.fast:
                # the lag bound lives here, not in the ASR thread: a decode in progress must not
                # hold readings back longer than --text-wait (words committed later still join
                # the later windows that contain them)
                self.scheduler.advance("text", pkt.t_end - self.config.workers.text_max_lag_s)
        elif isinstance(pkt, VideoFrame):
            if self.vision_worker is not None:
                self.vision_worker.put(pkt)
            self._last_video_t = pkt.t if self._last_video_t is None else max(self._last_video_t, pkt.t)
            self.clock.observe(pkt.t)

    def _on_status(self, ev: StatusEvent) -> None:
        if ev.state == "ended" and not ev.detail:
            return  # the pipeline reports the end itself, once every stage has drained
        self._emit(ev)

    def hello(self) -> Hello:
        return Hello(
            version=__version__,
            streams=[self.config.stream],
            model=self.engine.name,
            trained=self.engine.trained,
            presence={"text": self.has_audio, "audio": self.has_audio, "vision": self.has_video},
            thresholds=self.config.alerts.thresholds(),
            window_s=self.spec.window_s,
            hop_s=self.spec.hop_s,
        )

    def open(self) -> None:
        """Open the recorder and start the dashboard (so its URL can be printed before the run)."""
        if self._opened:
            return
        self._opened = True
        cfg = self.config
        if cfg.out_dir is not None:
            from streammsa.recorder.timeline import TIMELINE_NAME, TimelineWriter

            self.sinks.append(TimelineWriter(Path(cfg.out_dir) / TIMELINE_NAME))
        if cfg.dashboard.enabled:
            dash = DashboardSink(cfg.dashboard)
            self.dashboard_url = dash.url
            self.sinks.append(dash)
        self.sinks += self.extra_sinks
        hello = self.hello()  # before the run, so a dashboard opened now already knows the stream
        for sink in self.sinks:
            if isinstance(sink, DashboardSink):
                sink.server.set_hello(hello)
            else:
                sink.publish(hello)

    # ---- the engine loop -------------------------------------------------------------------

    def _stream_end(self) -> float:
        ends = [0.0]
        if self.audio_worker is not None:
            ends.append(self.audio_worker.t_end)
        if self._last_video_t is not None:
            fps = next((s.fps for s in self.sources if getattr(s, "fps", None)), None) or 25.0
            ends.append(self._last_video_t + 1.0 / fps)
        return max(ends)

    def _duration_hint(self) -> float | None:
        durs = [getattr(s, "duration", None) for s in self.sources]
        durs = [d for d in durs if d]
        return max(durs) if durs else None

    def _check_failures(self) -> None:
        for w in self.workers:
            if w.exception is not None:
                raise w.exception
        for c in self.captures:
            c.check()

    def _emit_windows(self, windows: list) -> None:
        if not windows:
            return
        t0 = time.perf_counter()
        inputs = [slice_window(w, self.caches, self.spec) for w in windows]
        out = self.engine.run(collate(inputs, self.spec))
        self._model_s += time.perf_counter() - t0
        words = self.asr_worker.committed_words() if self.asr_worker is not None else []
        now = time.monotonic()
        for i, w in enumerate(windows):
            reading = build_reading(
                out,
                i,
                stream=w.stream,
                seq=self._seq,
                t_start=w.t_start,
                t_end=w.t_end,
                transcript=words_in_window(words, w.t_start, w.t_end),
                latency_ms=self.clock.latency_ms(w.t_end, now),
                model=self.engine.name,
                trained=self.engine.trained,
            )
            self._seq += 1
            events = self.alerts.update(reading)
            reading.alerts = self.alerts.active(w.stream)
            self._emit(reading)
            for ev in events:
                self._emit(ev)
            self._account(reading, len(events))
        # no later window starts before this: those features are done with
        keep_from = windows[-1].t_end + self.spec.hop_s - self.spec.window_s
        for m in ("audio", "vision"):
            if self.caches[m] is not None:
                self.caches[m].evict_before(keep_from)

    def _account(self, reading: Reading, n_events: int) -> None:
        self.result.readings += 1
        self.result.alerts += n_events
        for m, mr in reading.modalities.items():
            if mr.present:
                self.result.presence[m] += 1
        if self._progress is not None:
            target = reading.t_end if self._progress.total is None else min(reading.t_end, self._progress.total)
            self._progress.update(max(0.0, target - self._progress.n))

    def _loop(self) -> None:
        poll = self.config.workers.poll_s
        workers_ended = False
        while True:
            if self._stop_requested.is_set():
                raise _StopRequested()
            self._check_failures()
            if not workers_ended and all(c.finished.is_set() for c in self.captures):
                for w in self.workers:
                    w.end()
                workers_ended = True
            if workers_ended and not self.scheduler.ended and all(w.done.is_set() for w in self.workers):
                self._check_failures()
                self.scheduler.end(self._stream_end())
            windows = self.scheduler.ready()
            if windows:
                self._emit_windows(windows)
            elif self.scheduler.ended:
                return
            else:
                time.sleep(poll)

    # ---- run -------------------------------------------------------------------------------

    def run(self) -> RunResult:
        cfg = self.config
        t_wall = time.monotonic()
        self.open()
        failure: BaseException | None = None
        try:
            self._build_workers()
            if not self.engine.trained:
                self._emit(
                    StatusEvent(stream=cfg.stream, state="starting", detail="UNTRAINED model (--untrained): readings are not sentiment")
                )
            self._start_progress()
            for w in self.workers:
                w.start()
            speed = None if cfg.fast else cfg.speed
            for src in self.sources:
                cap = CaptureThread(src, on_packet=self._on_packet, on_status=self._on_status, speed=speed, stream=cfg.stream)
                self.captures.append(cap)
            for cap in self.captures:
                cap.start()
            self._loop()
        except (KeyboardInterrupt, _StopRequested):
            self.result.interrupted = True
            self._shutdown_now()
            # what is ready is emitted; nothing else is waited for
            try:
                self._emit_windows(self.scheduler.ready())
            except Exception:  # noqa: BLE001 - interrupted mid-model: keep what we have
                pass
        except BaseException as exc:  # noqa: BLE001 - finish the recorder first, then re-raise
            failure = exc
            self._shutdown_now()
        finally:
            self._close_progress()
        self._finish(t_wall, failure)
        if failure is not None:
            raise failure
        if self.result.error:
            raise StreamBrokenError(self.result.error + f"; the timeline up to there is in {cfg.out_dir}" if cfg.out_dir else self.result.error)
        return self.result

    def stop(self) -> None:
        """Ask a running ``run()`` (on another thread) to end as Ctrl-C would; safe from any thread."""
        self._stop_requested.set()

    def _shutdown_now(self) -> None:
        for c in self.captures:
            c.stop()
        for w in self.workers:
            w.stop()
        # wait for the current packet of each thread: native libraries (MediaPipe, CTranslate2)
        # abort the process if it exits while their calls are still running
        for w in self.workers:
            w.join(timeout=30)
        for c in self.captures:
            try:
                c.join(timeout=10)
            except BaseException:  # noqa: BLE001 - its failure is reported by _finish, not here
                pass

    def _finish(self, t_wall: float, failure: BaseException | None) -> None:
        cfg = self.config
        res = self.result
        res.error = next((c.source_error for c in self.captures if c.source_error), None)
        if failure is not None and res.error is None:
            res.error = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
        res.duration_s = self._stream_end()
        res.wall_s = time.monotonic() - t_wall
        if self.asr_worker is not None:
            res.transcript = " ".join(w.w for w in self.asr_worker.committed_words())
        res.counters = self._counters()
        state = "ended" if (res.error is None and not res.interrupted) else ("error" if res.error else "ended")
        detail = res.error or ("interrupted" if res.interrupted else "")
        self._emit(StatusEvent(stream=cfg.stream, state=state, detail=detail, t=res.duration_s))
        self.close(keep_dashboard=cfg.keep_dashboard_open and failure is None and not res.error and not res.interrupted)
        if cfg.out_dir is not None and cfg.write_report:
            from streammsa.recorder.csv_export import CSV_NAME, write_csv
            from streammsa.recorder.report import write_report
            from streammsa.recorder.timeline import TIMELINE_NAME, read_timeline

            out = Path(cfg.out_dir)
            write_csv(read_timeline(out / TIMELINE_NAME), out / CSV_NAME)
            files = write_report(
                out,
                run_info={
                    "source": self.source_name,
                    "stream": cfg.stream,
                    "mode": "live" if cfg.live else ("fast" if cfg.fast else f"paced x{cfg.speed:g}"),
                    "wall_s": round(res.wall_s, 3),
                    "interrupted": res.interrupted,
                    "error": res.error,
                    "window_s": self.spec.window_s,
                    "hop_s": self.spec.hop_s,
                    "device": str(self.engine.device),
                    "model": self.engine.name,
                    "trained": self.engine.trained,
                },
            )
            res.report = files.stats

    def close(self, keep_dashboard: bool = False) -> None:
        """Close the sinks (the dashboard too unless ``keep_dashboard``); safe to call again."""
        for sink in list(self.sinks):
            if keep_dashboard and isinstance(sink, DashboardSink):
                continue
            try:
                sink.close()
            except Exception:  # noqa: BLE001 - one failing sink must not lose the others' output
                logger.debug("closing a sink failed", exc_info=True)
            self.sinks.remove(sink)

    def _counters(self) -> dict[str, Any]:
        # the engine may serve several runs: count this run's share
        c: dict[str, Any] = {
            "batches": self.engine.batches_run - self._engine0[0],
            "windows": self.engine.windows_run - self._engine0[1],
        }
        for m, cache in self.caches.items():
            if cache is not None:
                c[f"{m}_cache"] = cache.counters()
        if self.vision_worker is not None:
            c["frames_seen"] = self.vision_worker.frames_seen
            c["frames_analysed"] = self.vision_worker.analysed
            c["faces"] = self.vision_worker.faces
            c["frames_dropped"] = self.vision_worker.dropped
        if self.asr_worker is not None:
            c["asr_decode_s"] = round(self.asr_worker.decode_s, 3)
        # busy seconds per stage (workers run in parallel, so these may add up to more than the wall time)
        c["stage_s"] = {w.name: round(w.busy_s, 3) for w in self.workers}
        c["stage_s"]["windows+model"] = round(self._model_s, 3)
        return c

    def _start_progress(self) -> None:
        if not self.config.progress or self.config.live:
            return
        from tqdm import tqdm

        total = self._duration_hint()
        fmt = "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of stream [{elapsed}<{remaining}]"
        self._progress = tqdm(
            total=round(total, 2) if total else None,
            unit="s",
            desc=f"replay {self.source_name}",
            file=sys.stderr,
            bar_format=fmt if total else "{desc}: {n:.1f} s of stream [{elapsed}]",
            leave=True,
        )

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None
