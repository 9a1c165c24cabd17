"""The Python API: a monitor on a file, a network stream, a camera or media a program pushes.

``open_file`` / ``open_url`` / ``open_camera`` / ``open_push`` load the models (errors such as a
missing file or checkpoint are raised there, as one line) and return a ``Session``, not yet
running. A session runs the monitor on a background thread once started (``start()``, ``with``,
iterating it, ``wait()``, or the first ``feed_*``). Every message is one of the protocol's
classes (``streammsa.protocol``: ``Hello``, ``Reading``, ``TranscriptEvent``, ``AlertEvent``,
``StatusEvent``), the same the dashboard receives and ``timeline.jsonl`` records::

    import streammsa

    with streammsa.open_file("meeting.mp4", fast=True) as session:
        for message in session:                      # until the run ends
            if isinstance(message, streammsa.Reading):
                print(message.t_end, message.intensity, message.transcript)

Callbacks (``session.on("alert", fn)``) run on the monitor's thread for each message of their
kind emitted after they were registered: keep them short. One that raises stops the run (as
Ctrl-C would: what is ready is emitted and recorded) and ``wait()`` raises its exception.
Leaving a ``with`` block stops a run still going; ``wait()`` or iterating first lets it finish.
See docs/api.md.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streammsa import log
from streammsa.errors import UsageError
from streammsa.protocol import AlertEvent, ErrorMessage, Hello, Message, Reading, StatusEvent, TranscriptEvent

if TYPE_CHECKING:  # the pipeline (torch, PyAV, ...) loads when a session is opened, not on import
    from streammsa.capture.push import PushSource
    from streammsa.capture.source import Source
    from streammsa.monitor import Components, DashboardConfig, Monitor, MonitorConfig, RunResult

logger = log.get("api")

# what ``on(kind, ...)`` accepts: the protocol's ``type`` names, or "*" for every message
MESSAGE_KINDS: dict[str, type[Message]] = {
    cls.type: cls for cls in (Hello, Reading, TranscriptEvent, AlertEvent, StatusEvent, ErrorMessage)
}
MAX_BUFFERED = 100_000  # messages kept for iteration (a day of readings); beyond it the oldest are dropped
_END = object()


class Session:
    """One monitor run on a background thread: iterate its messages, register callbacks, feed it, stop it."""

    def __init__(
        self,
        monitor: Monitor,
        *,
        push: PushSource | None = None,
        before_run: Callable[[], None] | None = None,
    ) -> None:
        self.monitor = monitor
        self.push = push
        self._before_run = before_run
        self._buffer: deque[Any] = deque()
        self._ready = threading.Condition()
        self._callbacks: list[tuple[type[Message] | None, Callable[[Any], None]]] = []
        self._callback_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._failure: BaseException | None = None
        self._ended = False
        self.dropped_messages = 0
        monitor.extra_sinks.append(_SessionSink(self))

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Session:
        """Open the sinks (the dashboard too) and run the monitor on a background thread; no-op once started."""
        with self._start_lock:
            if self._thread is not None:
                return self
            self.monitor.open()
            if self._before_run is not None:
                self._before_run()
            self._thread = threading.Thread(target=self._run, name="streammsa-session", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.monitor.run()
        except BaseException as exc:  # noqa: BLE001 - handed to wait() in the caller's thread
            self._failure = exc
        finally:
            self._deliver(_END)

    def stop(self) -> None:
        """End the run as Ctrl-C would (what is ready is emitted; the timeline and report are written)."""
        self.monitor.stop()
        if self.push is not None:
            self.push.close()  # a source waiting for pushed media would otherwise hold the run open

    def wait(self, timeout: float | None = None) -> RunResult:
        """Block until the run has ended; its ``RunResult``. Raises what ended it (a broken stream, a callback)."""
        self.start()
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the run is still going after {timeout} s; call stop() to end it")
        if self._callback_error is not None:
            raise self._callback_error
        if self._failure is not None:
            raise self._failure
        return self.monitor.result

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def result(self) -> RunResult:
        """The run's figures so far (final once it has ended)."""
        return self.monitor.result

    @property
    def dashboard_url(self) -> str | None:
        """The dashboard's address once started with ``dashboard=True``."""
        return self.monitor.dashboard_url

    @property
    def out_dir(self) -> Path | None:
        return self.monitor.config.out_dir

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.stop()
        try:
            self.wait()
        except Exception:
            if exc_type is None:
                raise
            logger.debug("the run also failed while handling another error", exc_info=True)

    # ---- messages ----------------------------------------------------------------------------

    def on(self, kind: str | type[Message], callback: Callable[[Any], None]) -> Session:
        """Call ``callback(message)`` for each message of ``kind`` ("reading", "alert", ..., a class, or "*")."""
        if isinstance(kind, str):
            if kind != "*" and kind not in MESSAGE_KINDS:
                raise UsageError(f"unknown message kind '{kind}'; use one of {', '.join(MESSAGE_KINDS)} or '*'")
            cls = None if kind == "*" else MESSAGE_KINDS[kind]
        elif isinstance(kind, type) and issubclass(kind, Message):
            cls = kind
        else:
            raise UsageError(f"on() takes a message kind name or class, got {kind!r}")
        self._callbacks.append((cls, callback))
        return self

    def __iter__(self) -> Iterator[Message]:
        return self.messages()

    def messages(self) -> Iterator[Message]:
        """Every message in order, from the start until the run ends (then raises what ended it, if anything).

        Starts the run if needed. Meant for one consumer: two iterators would share the messages.
        """
        self.start()
        while True:
            with self._ready:
                while not self._buffer:
                    self._ready.wait()
                item = self._buffer.popleft()
            if item is _END:
                with self._ready:
                    self._buffer.appendleft(_END)  # a second iteration ends at once too
                self.wait()
                return
            yield item

    def readings(self) -> Iterator[Reading]:
        """Only the readings (see ``messages``)."""
        return (m for m in self.messages() if isinstance(m, Reading))

    def _deliver(self, item: Any) -> None:
        with self._ready:
            if self._ended:
                return
            if item is _END:
                self._ended = True
            elif len(self._buffer) >= MAX_BUFFERED:
                self._buffer.popleft()
                self.dropped_messages += 1
                if self.dropped_messages == 1:
                    logger.warning("nobody reads this session's messages: keeping only the last %d", MAX_BUFFERED)
            self._buffer.append(item)
            self._ready.notify_all()
        if item is _END:
            return
        for cls, callback in list(self._callbacks):
            if cls is not None and not isinstance(item, cls):
                continue
            try:
                callback(item)
            except Exception as exc:  # noqa: BLE001 - a program's bug: stop cleanly, raise it from wait()
                if self._callback_error is None:
                    self._callback_error = exc
                    logger.error("a message callback failed; stopping the run", exc_info=exc)
                    self.stop()

    # ---- pushed media ------------------------------------------------------------------------

    def feed_audio(self, pcm: Any, t: float | None = None, *, sample_rate: int | None = None) -> None:
        """Push audio (see ``streammsa.capture.push``); starts the run on first use."""
        self._push().feed_audio(pcm, t, sample_rate=sample_rate)

    def feed_frame(self, image: Any, t: float | None = None, *, bgr: bool = False) -> None:
        """Push one video frame (see ``streammsa.capture.push``); starts the run on first use."""
        self._push().feed_frame(image, t, bgr=bgr)

    def end(self) -> None:
        """No more pushed media: the run processes what it has, then ends (iterate or ``wait()`` for it)."""
        self._push().end()

    def _push(self) -> PushSource:
        if self.push is None:
            raise UsageError("feed_audio/feed_frame/end need a session opened with streammsa.open_push()")
        self.start()
        return self.push


class _SessionSink:
    """The monitor's sink for a session: every message to the session's buffer and callbacks."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def publish(self, message: Message) -> None:
        self.session._deliver(message)

    def close(self) -> None:
        pass  # the session's thread marks the end once run() has returned (after every sink closed)


# ---- opening sessions ------------------------------------------------------------------------


def _config(
    config: MonitorConfig | None,
    *,
    speed: float | None,
    live: bool,
    out_dir: str | Path | None,
    dashboard: bool | DashboardConfig | None,
    stream: str | None,
    model: str | None,
    checkpoint: str | Path | None,
    device: str | None,
    untrained: bool | None,
    participants: int | str | None = None,
) -> MonitorConfig:
    """``config`` (or the API's defaults: no recording, no dashboard, no progress bar) with the given fields."""
    from streammsa.monitor import DashboardConfig, MonitorConfig

    base = config or MonitorConfig(progress=False, dashboard=DashboardConfig(enabled=False))
    engine_fields = {"model": model, "device": device, "untrained": untrained}
    engine_fields = {k: v for k, v in engine_fields.items() if v is not None}
    if checkpoint is not None:
        engine_fields["checkpoint"] = Path(checkpoint)
    fields: dict[str, Any] = {"speed": speed, "live": live, "engine": dataclasses.replace(base.engine, **engine_fields)}
    if out_dir is not None:
        fields["out_dir"] = Path(out_dir)
    if dashboard is not None:
        as_config = isinstance(dashboard, DashboardConfig)
        fields["dashboard"] = dashboard if as_config else DashboardConfig(enabled=bool(dashboard))
    if stream is not None:
        fields["stream"] = stream
    if participants is not None:  # a meeting: each person their own stream (N expected, or "auto")
        fields["participants"] = 0 if participants == "auto" else int(participants)
    return dataclasses.replace(base, **fields)


def _session(
    sources: Sequence[Source],
    cfg: MonitorConfig,
    components: Components | None,
    name: str,
    *,
    push: PushSource | None = None,
    before_run: Callable[[], None] | None = None,
) -> Session:
    from streammsa.monitor import Components, Monitor

    try:
        monitor = Monitor(cfg, sources, components=components or Components.build(cfg), source_name=name)
    except BaseException:
        for s in sources:
            s.close()
        raise
    return Session(monitor, push=push, before_run=before_run)


def open_file(
    path: str | Path,
    *,
    fast: bool = False,
    speed: float = 1.0,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """A recorded file (mp4/mkv/webm/mov/mpg/avi, wav/flac/mp3), paced at ``speed`` x real time or ``fast``.

    ``out_dir`` records timeline.jsonl, CSV and report there (default: nothing written); ``dashboard=True``
    serves the dashboard on 127.0.0.1:8765 (or pass a ``DashboardConfig``); ``model`` / ``checkpoint`` /
    ``device`` / ``untrained`` choose the model as on the command line; ``participants`` (N or "auto") reads a
    meeting as one stream per person (``--participants``); ``config`` is a full ``MonitorConfig`` these keywords
    refine; ``components`` reuses models already loaded (``Components.build(config)``).
    """
    from streammsa.capture.media_file import MediaFileSource

    if not fast and speed <= 0:
        raise UsageError(f"speed must be positive, got {speed}")
    source = MediaFileSource(Path(path))
    cfg = _config(
        config,
        speed=None if fast else speed,
        live=False,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session([source], cfg, components, source.name)


def open_url(
    url: str,
    *,
    live: bool | None = None,
    retries: int = 5,
    fast: bool = False,
    speed: float = 1.0,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """A network stream: ``rtsp://``, ``rtmp://``, ``http(s)://`` (a file or an HLS ``.m3u8``), ``srt://``, ...

    Reconnects up to ``retries`` times with back-off when the connection breaks ("retrying" status
    messages). ``live`` None: live for RTSP/RTMP/SRT/UDP and streams without a duration; a stream
    of known length is replayed at ``speed`` (or ``fast``). Other keywords as ``open_file``.
    """
    from streammsa.capture.network import NetworkSource

    source = NetworkSource(url, live=live, max_retries=retries)
    cfg = _config(
        config,
        speed=None if (fast and not source.is_live) else speed,
        live=source.is_live,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session([source], cfg, components, source.name)


def open_camera(
    camera: int | str | None = 0,
    mic: int | str | None = None,
    *,
    microphone: bool = True,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """A webcam (index or device path; None for none) and a microphone (index or name; ``microphone=False`` for
    none) on one stream clock, live. No such device: one ``DeviceError`` line naming ``streammsa devices``."""
    from streammsa.capture.camera import CameraSource
    from streammsa.capture.clock import StreamClock
    from streammsa.capture.microphone import MicrophoneSource

    if camera is None and not microphone:
        raise UsageError("no camera and no microphone leaves nothing to watch; keep one of them")
    clock = StreamClock()  # one clock: frames and samples line up in windows
    sources: list[Source] = []
    try:
        if camera is not None:
            sources.append(CameraSource(camera, clock=clock, live=True))
        if microphone:
            sources.append(MicrophoneSource(mic, clock=clock))
    except BaseException:
        for s in sources:
            s.close()
        raise
    cfg = _config(
        config,
        speed=1.0,
        live=True,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session(sources, cfg, components, "live", before_run=clock.start)


def open_push(
    *,
    audio: bool = True,
    video: bool = True,
    sample_rate: int = 16_000,
    channels: int = 1,
    realtime: bool = True,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """Media the program already has: ``session.feed_audio(pcm, t)``, ``session.feed_frame(image, t)``, ``end()``.

    ``sample_rate`` / ``channels``: the audio as it will be pushed (resampled to 16 kHz mono inside).
    ``realtime`` (default): media arrives as it happens, so a monitor falling behind skips video frames;
    ``realtime=False`` for media pushed faster than real time (a recording): nothing is skipped and
    ``feed_*`` waits while the monitor catches up. Other keywords as ``open_file``.
    """
    from streammsa.capture.push import PushSource

    source = PushSource(audio=audio, video=video, sample_rate=sample_rate, channels=channels)
    cfg = _config(
        config,
        speed=1.0,
        live=realtime,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session([source], cfg, components, "push", push=source)
