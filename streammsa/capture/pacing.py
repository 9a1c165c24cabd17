"""Run a capture source in a thread, paced at real time or as fast as possible.

``Pacer(speed)`` maps packet stream time onto wall time: packet ``t`` is released at
``wall0 + (t - t_first) / speed``; ``speed=None`` means no waiting (``--fast``).

``CaptureThread(source, ...)`` iterates the source in a daemon thread and hands every
packet to ``on_packet(packet)`` (the monitor routes it to the bounded queues of its workers).
Status changes go to ``on_status(StatusEvent)`` ("starting", "running", "stalled",
"retrying", "ended", "error"), including the source's own stall/retry reports; with
``stall_timeout_s`` a watchdog also reports "stalled" when no packet arrived for that long
(a device blocked inside its read) and "running" when packets flow again (``on_status``
may then be called from the watchdog thread). ``start(held=True)`` plays the source now but keeps its
packets and status events (up to ``HOLD_MAX_BYTES``) until the next ``start()`` hands them over, in order: a
paced replay starts its clock while the monitor's models load (issue #12: the first reading covers the
stream's first second, which then plays during torch's import instead of after it). An
exception raised by the source or a callback is not swallowed: it is kept in ``.exception``
and re-raised in the consumer by ``join()`` / ``check()``. A source's non-fatal
``error`` line (a file that broke mid-stream) is reported as an "ended" status with the
line as detail and kept in ``.source_error``.

Typical use::

    src = MediaFileSource("meeting.mp4")
    cap = CaptureThread(src, on_packet=handle, speed=1.0)
    cap.start(); ...; cap.join()   # raises what the source raised
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from streammsa.capture.packets import AudioChunk, Packet, VideoFrame
from streammsa.capture.source import Source
from streammsa.log import get as get_logger
from streammsa.protocol import StatusEvent

log = get_logger("capture")

# start(held=True) holds at most this much media (decoded frames are large: 6 MB each at 1080p); beyond it the
# source waits, as if it had started when the run took it over (a paced file then catches up: nothing is lost)
HOLD_MAX_BYTES = 256 * 2**20


class Pacer:
    """Release packets at ``speed`` x real time; ``speed=None`` never waits."""

    def __init__(self, speed: float | None = 1.0, stop_event: threading.Event | None = None) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive (or None for as fast as possible)")
        self.speed = speed
        self._stop = stop_event or threading.Event()
        self._wall0: float | None = None
        self._t0 = 0.0

    def wait(self, t: float) -> bool:
        """Block until packet time ``t`` is due; False if stopped while waiting."""
        if self.speed is None:
            return not self._stop.is_set()
        now = time.monotonic()
        if self._wall0 is None:
            self._wall0, self._t0 = now, t
            return not self._stop.is_set()
        due = self._wall0 + (t - self._t0) / self.speed
        if due > now:
            return not self._stop.wait(due - now)
        return not self._stop.is_set()

    def stream_now(self) -> float | None:
        """Current stream time implied by the pacing (None before the first packet or when unpaced)."""
        if self.speed is None or self._wall0 is None:
            return None
        return self._t0 + (time.monotonic() - self._wall0) * self.speed

    def lag(self, t: float) -> float:
        """Seconds (wall) by which packet ``t`` is behind schedule (0 when on time or unpaced)."""
        if self.speed is None or self._wall0 is None:
            return 0.0
        return max(0.0, time.monotonic() - (self._wall0 + (t - self._t0) / self.speed))


class CaptureThread:
    def __init__(
        self,
        source: Source,
        *,
        on_packet: Callable[[Packet], None] | None = None,
        on_status: Callable[[StatusEvent], None] | None = None,
        speed: float | None = 1.0,
        stream: str = "main",
        stall_timeout_s: float | None = None,
    ) -> None:
        self.source = source
        # A live device that blocks inside read() cannot report itself: a watchdog notices the silence.
        self.stall_timeout_s = stall_timeout_s
        self.on_packet = on_packet
        self.on_status = on_status
        self.stream = stream
        self._stop = threading.Event()
        # Live devices deliver at their own pace; pacing them again would only add delay.
        self.pacer = Pacer(None if source.is_live else speed, self._stop)
        self.exception: BaseException | None = None
        self.source_error: str | None = None
        self.packets = 0
        self.last_t = 0.0
        self.finished = threading.Event()
        self._last_wall: float | None = None  # monotonic time of the last packet
        self._watch_stalled = False
        self._thread = threading.Thread(target=self._run, name=f"capture-{stream}-{source.name}", daemon=True)
        self._started = False
        # start(held=True): what the thread produced and nobody has taken yet (packets and status events, in
        # order) and the times of the video frames among them (filter_frames); None: delivered as they come
        self._held: list[Packet | StatusEvent] | None = None
        self._held_video_times: list[float] = []
        self._held_bytes = 0
        self._held_lock = threading.Condition()  # notified when what was held has been handed over
        source.on_status = lambda state, detail: self._status(state, detail)

    def _status(self, state: str, detail: str = "") -> None:
        log.debug("%s: %s %s", self.stream, state, detail)
        self._deliver(StatusEvent(stream=self.stream, state=state, detail=detail, t=self.last_t))

    def _deliver(self, item: Packet | StatusEvent) -> None:
        with self._held_lock:
            while self._held is not None and self._held_bytes > HOLD_MAX_BYTES and not self._stop.is_set():
                self._held_lock.wait(0.1)
            if self._held is not None:
                self._held.append(item)
                if isinstance(item, VideoFrame):
                    self._held_video_times.append(item.t)
                    self._held_bytes += item.image.nbytes
                elif isinstance(item, AudioChunk):
                    self._held_bytes += item.samples.nbytes
                return
        self._hand(item)

    def _hand(self, item: Packet | StatusEvent) -> None:
        if isinstance(item, StatusEvent):
            if self.on_status is not None:
                self.on_status(item)
        elif self.on_packet is not None:
            self.on_packet(item)

    def start(self, held: bool = False) -> CaptureThread:
        """Start the thread; ``held``: keep what it produces until the next ``start()``, which hands it over in
        order (then everything goes straight to ``on_packet`` / ``on_status``)."""
        if self._started:
            self._release()
            return self
        self._started = True
        if held:
            self._held = []
        self._thread.start()
        if self.stall_timeout_s:
            threading.Thread(target=self._watchdog, name=f"capture-watchdog-{self.stream}", daemon=True).start()
        return self

    def _release(self) -> None:
        # hand over outside the lock (a full worker queue blocks the hand-over, never the capture thread's append);
        # the capture thread keeps appending until the list is found empty, so nothing overtakes what was held
        while True:
            with self._held_lock:
                if not self._held:
                    self._held = None
                    self._held_lock.notify_all()
                    return
                batch, self._held = self._held, []
            for item in batch:
                self._hand(item)

    def filter_frames(self, gate: Callable[[float], bool]) -> None:
        """Let a file convert only the frames ``gate`` passes (``MediaFileSource.frame_filter``; a live device or a
        source without a filter converts every frame). ``gate`` is a fresh ``RateGate`` of the analyser's rate:
        it is first shown the frames already held, so it starts on the analyser's grid; a frame it misses while
        being set only leaves it behind that grid, where it passes every frame the analyser would (RateGate)."""
        if not hasattr(self.source, "frame_filter") or self.source.is_live:
            return
        with self._held_lock:
            seen = list(self._held_video_times)
        for t in seen:
            gate(t)
        self.source.frame_filter = gate

    def _watchdog(self) -> None:
        period = min(0.25, self.stall_timeout_s / 4)  # type: ignore[operator]
        while not self.finished.wait(period):
            last = self._last_wall
            if last is None or self._watch_stalled:
                continue
            silent = time.monotonic() - last
            if silent > self.stall_timeout_s:  # type: ignore[operator]
                self._watch_stalled = True
                self._status("stalled", f"{self.source.name}: no packets for {silent:.1f} s")

    def _run(self) -> None:
        try:
            self._status("starting", self.source.name)
            running = False
            for pkt in self.source:
                if not self.pacer.wait(pkt.t):
                    break
                if not running:
                    running = True
                    self._status("running", self.source.name)
                self._push(pkt)
                if self._stop.is_set():
                    break
            self.source_error = self.source.error
            self._status("ended", self.source_error or "")
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, not swallowed
            self.exception = exc
            self._status("error", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        finally:
            try:
                self.source.close()
            finally:
                self.finished.set()

    def _push(self, pkt: Packet) -> None:
        self._last_wall = time.monotonic()
        if self._watch_stalled:
            self._watch_stalled = False
            self._status("running", f"{self.source.name}: packets flowing again")
        self.packets += 1
        self.last_t = pkt.t
        self._deliver(pkt)

    def stop(self) -> None:
        """Ask the thread to end after the current packet (a blocked device read ends with the device)."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def check(self) -> None:
        """Re-raise, in the caller's thread, whatever the capture thread died of."""
        if self.exception is not None:
            raise self.exception

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; re-raise its exception. True when it has finished."""
        self._thread.join(timeout)
        self.check()
        return not self._thread.is_alive()
