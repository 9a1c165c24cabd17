"""``MicrophoneSource``: 16 kHz mono float32 audio from a sounddevice ``InputStream``.

PortAudio calls ``_callback`` from its own thread with each block; the callback copies
the block into a bounded queue (a full queue drops the block and counts it in
``dropped_blocks``; PortAudio overflows are counted in ``overflows``) and the iterator
hands blocks out as ``AudioChunk`` stamped by sample count from the stream clock time of
the first block, so audio time never drifts. No block for ``stall_timeout_s`` reports
"stalled", then the stream is restarted with back-off ("retrying"); after ``max_retries``
it raises ``DeviceError``.

``device``: None (system default input), an index, or part of a device name.
``stream_factory`` defaults to ``sounddevice.InputStream``; anything with the same
keyword arguments (samplerate, channels, dtype, blocksize, device, callback,
finished_callback) and ``start/stop/close`` works, e.g. a file-backed feeder in tests on
machines without a sound card. No PortAudio / no input device -> ``DeviceError`` naming
``streammsa devices`` and ``streammsa replay FILE``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from streammsa.capture.clock import StreamClock
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, Packet
from streammsa.capture.source import Source
from streammsa.errors import DeviceError

ALTERNATIVES = (
    "run `streammsa devices` to list audio input devices, or use `streammsa replay FILE` to analyse a recording"
)
_END = object()


def import_sounddevice() -> Any:
    """sounddevice, or DeviceError when the PortAudio library is missing."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise DeviceError(
            f"audio capture is unavailable: PortAudio library not found ({exc}); "
            "install libportaudio2, or use `streammsa replay FILE`"
        ) from exc
    return sounddevice


def input_devices(sd: Any | None = None) -> list[dict[str, Any]]:
    """PortAudio devices with at least one input channel, each with its global ``index``."""
    sd = sd or import_sounddevice()
    try:
        devices = sd.query_devices()
    except Exception as exc:  # noqa: BLE001 - PortAudio errors are plain Exceptions
        raise DeviceError(f"cannot list audio devices ({exc}); {ALTERNATIVES}") from exc
    return [dict(d, index=i) for i, d in enumerate(devices) if d.get("max_input_channels", 0) > 0]


def resolve_input_device(device: int | str | None, devices: Sequence[dict[str, Any]]) -> int | None:
    """Pick the PortAudio index for ``device`` among ``devices`` (input devices only)."""
    if not devices:
        raise DeviceError(f"no microphone found (0 audio input devices); {ALTERNATIVES}")
    if device is None:
        return None  # PortAudio's default input
    if isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
        idx = int(device)
        if any(d["index"] == idx for d in devices):
            return idx
        raise DeviceError(f"no audio input device with index {idx}; {ALTERNATIVES}")
    matches = [d for d in devices if device.lower() in str(d["name"]).lower()]
    if len(matches) == 1:
        return int(matches[0]["index"])
    if not matches:
        raise DeviceError(f"no audio input device named like '{device}'; {ALTERNATIVES}")
    names = ", ".join(f"{d['index']}: {d['name']}" for d in matches)
    raise DeviceError(f"'{device}' matches several audio input devices ({names}); pass an index")


class MicrophoneSource(Source):
    is_live = True
    has_audio = True

    def __init__(
        self,
        device: int | str | None = None,
        *,
        chunk_s: float = 0.1,
        queue_s: float = 10.0,
        clock: StreamClock | None = None,
        stream_factory: Callable[..., Any] | None = None,
        stall_timeout_s: float = 2.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        super().__init__()
        if stream_factory is None:
            sd = import_sounddevice()
            self.device = resolve_input_device(device, input_devices(sd))
            stream_factory = sd.InputStream
        else:
            self.device = device  # the injected stream resolves its own device
        self.name = f"microphone {self.device if self.device is not None else 'default'}"
        self._factory = stream_factory
        self.blocksize = max(1, int(round(chunk_s * SAMPLE_RATE)))
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, int(queue_s / chunk_s)))
        self.clock = clock or StreamClock()
        self.stall_timeout_s = stall_timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self._closed = threading.Event()
        self._stream: Any = None
        self._t0: float | None = None
        self._received = 0  # samples delivered by the device since the first block
        self.overflows = 0
        self.dropped_blocks = 0

    # PortAudio's thread: copy and hand over, nothing else (it must return quickly).
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        block = np.array(indata[:, 0] if indata.ndim == 2 else indata, dtype=np.float32, copy=True)
        if self._t0 is None:
            self._t0 = max(0.0, self.clock.now() - frames / SAMPLE_RATE)
        t = self._t0 + self._received / SAMPLE_RATE
        self._received += frames
        try:
            self._queue.put_nowait(AudioChunk(t, block))
        except queue.Full:
            self.dropped_blocks += 1

    def _finished(self) -> None:
        try:
            self._queue.put_nowait(_END)
        except queue.Full:
            threading.Thread(target=self._queue.put, args=(_END,), daemon=True).start()

    def _open(self) -> None:
        try:
            self._stream = self._factory(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="float32",
                blocksize=self.blocksize,
                device=self.device,
                callback=self._callback,
                finished_callback=self._finished,
            )
            self._stream.start()
        except DeviceError:
            raise
        except Exception as exc:  # noqa: BLE001 - PortAudio errors are plain Exceptions
            self._stream = None
            raise DeviceError(f"cannot open {self.name} ({str(exc).splitlines()[0]}); {ALTERNATIVES}") from exc

    def _shutdown_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()

    def packets(self) -> Iterator[Packet]:
        self.clock.start()
        self._open()
        attempts = 0
        while not self._closed.is_set():
            try:
                item = self._queue.get(timeout=self.stall_timeout_s)
            except queue.Empty:
                if self._closed.is_set():
                    return
                attempts += 1
                if attempts > self.max_retries:
                    raise DeviceError(
                        f"{self.name} stopped delivering audio and did not come back after "
                        f"{self.max_retries} retries; {ALTERNATIVES}"
                    ) from None
                self._status("stalled", f"{self.name}: no audio for {self.stall_timeout_s:.1f} s")
                delay = self.backoff_s * 2 ** (attempts - 1)
                self._status("retrying", f"{self.name}: attempt {attempts} of {self.max_retries} in {delay:.1f} s")
                if self._closed.wait(delay):
                    return
                self._shutdown_stream()
                self._open()
                continue
            if item is _END:
                return
            if attempts:
                attempts = 0
                self._status("running", f"{self.name} recovered")
            yield item

    def close(self) -> None:
        self._closed.set()
        self._shutdown_stream()
