"""What capture devices this machine has: cameras (OpenCV probe) and audio inputs (PortAudio).

``list_cameras(max_index)`` opens indices quietly and reports the ones that deliver a
frame (on Linux only the existing /dev/videoN nodes are probed). ``list_audio_inputs()``
returns PortAudio input devices or raises ``DeviceError`` when PortAudio is missing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from streammsa.capture.camera import camera_device_nodes
from streammsa.capture.microphone import import_sounddevice, input_devices
from streammsa.capture.opencv_quiet import cv2


@dataclass
class CameraInfo:
    index: int
    width: int
    height: int
    fps: float
    backend: str


@dataclass
class AudioInputInfo:
    index: int
    name: str
    channels: int
    default_samplerate: float
    hostapi: str
    default: bool


def list_cameras(max_index: int = 8) -> list[CameraInfo]:
    if sys.platform.startswith("linux"):
        candidates = [i for i in camera_device_nodes() if i < max_index]
    else:
        candidates = list(range(max_index))
    found = []
    for i in candidates:
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened() and cap.read()[0]:
                found.append(
                    CameraInfo(
                        index=i,
                        width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                        height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                        fps=float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
                        backend=cap.getBackendName(),
                    )
                )
        finally:
            cap.release()
    return found


def list_audio_inputs() -> list[AudioInputInfo]:
    sd = import_sounddevice()
    devices = input_devices(sd)
    try:
        default_in = sd.default.device[0]
    except Exception:  # noqa: BLE001 - no default when there are no devices
        default_in = -1
    try:
        hostapis = [h["name"] for h in sd.query_hostapis()]
    except Exception:  # noqa: BLE001
        hostapis = []
    return [
        AudioInputInfo(
            index=d["index"],
            name=str(d["name"]),
            channels=int(d["max_input_channels"]),
            default_samplerate=float(d.get("default_samplerate", 0.0)),
            hostapi=hostapis[d["hostapi"]] if d.get("hostapi", -1) in range(len(hostapis)) else "",
            default=d["index"] == default_in,
        )
        for d in devices
    ]
