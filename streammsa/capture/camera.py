"""``CameraSource``: frames from a webcam, a stream URL or a video file, read with OpenCV.

``device``: a camera index (``0`` or ``"0"``), a URL (``rtsp://``, ``http://``...) or a
file path. Indices and URLs are live: frames are stamped with ``StreamClock.now()`` and a
camera that stops delivering reports "stalled", then "retrying" with exponential back-off
(reopening the device) and "running" when it recovers; after ``max_retries`` failed
attempts it raises ``DeviceError``. A file path is not live: frames carry their media
timestamps and the end of the file ends the iterator (``live=True`` forces live
behaviour, which is how the stall logic is exercised on machines without a camera).

``width`` / ``height`` / ``fps`` are requests to the driver (it may pick the nearest mode).
No camera -> ``DeviceError`` naming ``streammsa devices`` and ``streammsa replay FILE``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from streammsa.capture.clock import StreamClock
from streammsa.capture.opencv_quiet import cv2
from streammsa.capture.packets import Packet, VideoFrame
from streammsa.capture.source import Source
from streammsa.errors import DeviceError, InputError

ALTERNATIVES = "run `streammsa devices` to list cameras, or use `streammsa replay FILE` to analyse a recording"


def parse_device(device: int | str) -> int | str:
    """``"0"`` -> 0; anything else unchanged."""
    if isinstance(device, str) and device.strip().isdigit():
        return int(device.strip())
    return device


class CameraSource(Source):
    def __init__(
        self,
        device: int | str = 0,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        clock: StreamClock | None = None,
        live: bool | None = None,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> None:
        super().__init__()
        self.device = parse_device(device)
        is_file = isinstance(self.device, str) and "://" not in self.device
        if is_file and not Path(self.device).exists():
            raise InputError(f"cannot open {self.device}: no such file; check the path")
        self.is_live = (not is_file) if live is None else live
        self.has_video = True
        self.name = f"camera {self.device}"
        self.width, self.height, self.fps = width, height, fps
        self.clock = clock or StreamClock()
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self._closed = threading.Event()
        self.frames = 0
        self.retries = 0
        self._attempts = 0  # failed recovery attempts since the last delivered frame
        self._cap = self._open()
        if self._cap is None:
            if isinstance(self.device, int):
                raise DeviceError(f"no camera at index {self.device}; {ALTERNATIVES}")
            if is_file:
                raise InputError(f"cannot open {self.device}: OpenCV cannot read it as video; check the path")
            raise DeviceError(f"cannot open camera stream {self.device}; check the URL, or {ALTERNATIVES}")

    def _open(self) -> cv2.VideoCapture | None:
        cap = cv2.VideoCapture(self.device)
        if not cap.isOpened():
            cap.release()
            return None
        if self.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        if self.fps:
            cap.set(cv2.CAP_PROP_FPS, self.fps)
        return cap

    def _stamp(self) -> float:
        if self.is_live:
            return self.clock.now()
        return max(0.0, float(self._cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0)  # type: ignore[union-attr]

    def _read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            return None
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def packets(self) -> Iterator[Packet]:
        self.clock.start()
        while not self._closed.is_set():
            image = self._read()
            if image is None:
                if not self.is_live or self._closed.is_set():
                    return  # end of file (or closed under us)
                if not self._recover():
                    return
                continue
            if self._attempts:
                self._attempts = 0
                self._status("running", f"{self.name} recovered")
            self.frames += 1
            yield VideoFrame(self._stamp(), image)

    def _recover(self) -> bool:
        """Reopen a stalled live device with back-off; False if closed meanwhile; DeviceError when out of tries.

        Attempts count until a frame actually arrives, so a device that opens but never
        delivers still runs out of retries instead of looping forever.
        """
        self._status("stalled", f"{self.name} stopped delivering frames")
        while self._attempts < self.max_retries:
            self._attempts += 1
            delay = min(self.backoff_s * 2 ** (self._attempts - 1), self.backoff_max_s)
            self._status("retrying", f"{self.name}: attempt {self._attempts} of {self.max_retries} in {delay:.1f} s")
            if self._closed.wait(delay):
                return False
            self.retries += 1
            if self._cap is not None:
                self._cap.release()
            self._cap = self._open()
            if self._cap is not None:
                return True
        raise DeviceError(
            f"{self.name} stopped delivering frames and did not come back after "
            f"{self.max_retries} retries; check the connection, or {ALTERNATIVES}"
        )

    def close(self) -> None:
        self._closed.set()
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


def camera_device_nodes() -> list[int]:
    """Indices of /dev/videoN nodes on Linux (None elsewhere is signalled by an empty probe range)."""
    if not os.path.isdir("/dev"):
        return []
    out = []
    for name in os.listdir("/dev"):
        if name.startswith("video") and name[5:].isdigit():
            out.append(int(name[5:]))
    return sorted(out)
