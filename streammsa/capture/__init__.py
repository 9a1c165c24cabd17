"""Capture: camera, microphone or media file -> timestamped packets on one stream clock.

Public API (times are float seconds on the stream clock, 0 at stream start)::

    from streammsa.capture import (AudioChunk, VideoFrame, SAMPLE_RATE, StreamClock,
        AudioRing, FrameRing, MediaFileSource, CameraSource, MicrophoneSource, CaptureThread, Pacer)

    src = MediaFileSource("meeting.mp4", max_fps=15)  # InputError if missing/corrupt
    src.has_audio, src.has_video, src.duration        # properties known before decoding
    audio, frames = AudioRing(capacity_s=60), FrameRing(capacity=250)
    cap = CaptureThread(src, audio_ring=audio, frame_ring=frames, speed=1.0,  # None = as fast as possible
                        on_packet=None, on_status=print_status, stream="main").start()
    ...  audio.read(t0, t1) -> float32 samples;  frames.read(t0, t1) -> [(t, RGB uint8 HxWx3)]
    cap.stop(); cap.join()   # join() re-raises whatever the source raised
    cap.source_error         # one line when the file broke mid-stream (delivered data stays valid)
    cap.pacer.stream_now()   # current stream time of a paced replay (None when unpaced)

    CameraSource(0, width=640, height=480, fps=30)   # DeviceError naming `streammsa devices`
    MicrophoneSource("USB", chunk_s=0.1)             # DeviceError when there is no input device

Packets: ``AudioChunk(t, samples)`` (float32 mono 16 kHz, ``t`` = first sample) and
``VideoFrame(t, image)`` (HxWx3 RGB uint8). Status events are ``protocol.StatusEvent`` with
state "starting" / "running" / "stalled" / "retrying" / "ended" / "error".
``streammsa.capture.devices`` lists cameras and audio inputs (``streammsa devices``);
``streammsa.capture.writer.write_media`` encodes frames/audio into a file.
"""

import importlib
from typing import Any

# Lazy exports (PEP 562): importing a light module such as ``streammsa.capture.packets`` must not
# pull in PyAV, OpenCV and PortAudio, so the CLI starts fast and pure-model tools run without them.
_EXPORTS = {
    "CameraSource": "camera", "StreamClock": "clock", "MediaFileSource": "media_file", "read_audio": "media_file",
    "MicrophoneSource": "microphone", "CaptureThread": "pacing", "Pacer": "pacing", "SAMPLE_RATE": "packets",
    "AudioChunk": "packets", "Packet": "packets", "VideoFrame": "packets", "AudioRing": "ring_buffer",
    "FrameRing": "ring_buffer", "Source": "source",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'streammsa.capture' has no attribute {name!r}")
    return getattr(importlib.import_module(f"streammsa.capture.{_EXPORTS[name]}"), name)
