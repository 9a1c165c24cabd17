"""Capture: camera, microphone or media file -> timestamped packets on one stream clock.

Public API (times are float seconds on the stream clock, 0 at stream start)::

    from streammsa.capture import (AudioChunk, VideoFrame, SAMPLE_RATE, StreamClock,
        MediaFileSource, CameraSource, MicrophoneSource, CaptureThread, Pacer)

    src = MediaFileSource("meeting.mp4", max_fps=15)  # InputError if missing/corrupt
    src.has_audio, src.has_video, src.duration        # properties known before decoding
    cap = CaptureThread(src, on_packet=handle, speed=1.0,  # speed None = as fast as possible
                        on_status=print_status, stream="main").start()
    cap.stop(); cap.join()   # join() re-raises whatever the source raised
    cap.source_error         # one line when the file broke mid-stream (delivered data stays valid)
    cap.pacer.stream_now()   # current stream time of a paced replay (None when unpaced)

    CameraSource(0, width=640, height=480, fps=30)   # DeviceError naming `streammsa devices`
    MicrophoneSource("USB", chunk_s=0.1)             # DeviceError when there is no input device
    NetworkSource("rtsp://cam/stream")                # RTSP/RTMP/HTTP(S)/HLS via PyAV, reconnects with back-off
    open_media("meeting.mp4" or "https://.../x.m3u8") # a file or a URL: the right source for either
    PushSource(audio=True, video=True)               # feed_audio(pcm, t) / feed_frame(image, t) from a program

Packets: ``AudioChunk(t, samples)`` (float32 mono 16 kHz, ``t`` = first sample) and
``VideoFrame(t, image)`` (HxWx3 RGB uint8). Status events are ``protocol.StatusEvent`` with
state "starting" / "running" / "stalled" / "retrying" / "ended" / "error".
``streammsa.capture.devices`` lists cameras and audio inputs (``streammsa devices``).
Buffering between capture and the feature workers is the workers' bounded queues
(``streammsa.monitor.workers``): a replay blocks when they are full, a live camera drops its oldest frame.
"""

import importlib
from typing import Any

# Lazy exports (PEP 562): importing a light module such as ``streammsa.capture.packets`` must not
# pull in PyAV, OpenCV and PortAudio, so the CLI starts fast and pure-model tools run without them.
_EXPORTS = {
    "CameraSource": "camera",
    "StreamClock": "clock",
    "MediaFileSource": "media_file",
    "read_audio": "media_file",
    "MicrophoneSource": "microphone",
    "NetworkSource": "network",
    "open_media": "network",
    "PushSource": "push",
    "CaptureThread": "pacing",
    "Pacer": "pacing",
    "SAMPLE_RATE": "packets",
    "AudioChunk": "packets",
    "Packet": "packets",
    "VideoFrame": "packets",
    "Source": "source",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'streammsa.capture' has no attribute {name!r}")
    return getattr(importlib.import_module(f"streammsa.capture.{_EXPORTS[name]}"), name)
