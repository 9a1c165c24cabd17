"""``Session``: one monitor run a program drives and reads (what ``streammsa.open_*`` return, docs/api.md).

It runs the monitor on a background thread once started, keeps the messages for iteration (bounded),
and calls the callbacks registered with ``on(kind, fn)`` on the monitor's thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from streammsa import log
from streammsa.errors import UsageError
from streammsa.protocol import (
    AlertEvent,
    ErrorMessage,
    Hello,
    Message,
    ParticipantEvent,
    Reading,
    StatusEvent,
    TranscriptEvent,
)

if TYPE_CHECKING:  # the pipeline (torch, PyAV, ...) loads when a session is opened, not on import
    from pathlib import Path

    from streammsa.capture.push import PushSource
    from streammsa.monitor import Monitor, RunResult

logger = log.get("api")

# what ``on(kind, ...)`` accepts: the protocol's ``type`` names, or "*" for every message
MESSAGE_KINDS: dict[str, type[Message]] = {
    cls.type: cls for cls in (Hello, Reading, TranscriptEvent, AlertEvent, StatusEvent, ParticipantEvent, ErrorMessage)
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
