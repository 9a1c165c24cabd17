"""``write_media``: encode RGB frames and/or 16 kHz mono audio into a file with PyAV.

Used to make demo clips and test inputs (a video-only file, a clip to truncate) without
any external tool. Video is MPEG-4 part 2 (every FFmpeg build has it), audio AAC in
mp4/mkv/mov or PCM in wav.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from fractions import Fraction

import av
import numpy as np

from streammsa.capture.packets import SAMPLE_RATE


def write_media(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray] | None = None,
    fps: int = 25,
    audio: np.ndarray | None = None,
    video_codec: str = "mpeg4",
    container_options: dict[str, str] | None = None,
) -> None:
    """Write ``frames`` (HxWx3 RGB uint8, even H and W) at ``fps`` and/or ``audio`` (float32 mono 16 kHz).

    ``container_options`` go to the muxer, e.g. ``{"movflags": "faststart"}`` for an mp4
    whose index comes first (streamable).
    """
    path = str(path)
    frame_iter = iter(frames) if frames is not None else iter(())
    first = next(frame_iter, None)  # frames are encoded as they come: a long clip never sits in memory
    with av.open(path, mode="w", options=container_options or {}) as out:
        vstream = astream = None
        if first is not None:
            h, w = first.shape[:2]
            vstream = out.add_stream(video_codec, rate=fps)
            vstream.width, vstream.height, vstream.pix_fmt = w, h, "yuv420p"
            vstream.codec_context.time_base = Fraction(1, fps)
        if audio is not None:
            codec = "pcm_s16le" if path.endswith(".wav") else "aac"
            astream = out.add_stream(codec, rate=SAMPLE_RATE)
            astream.layout = "mono"
        if astream is not None:
            x = np.clip(np.asarray(audio, dtype=np.float32), -1, 1)
            pcm_fmt = "s16" if astream.codec_context.name.startswith("pcm") else "fltp"
            data = (x * 32767).astype(np.int16) if pcm_fmt == "s16" else x
            step = 1024
            for i in range(0, len(data), step):
                block = data[i : i + step]
                frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format=pcm_fmt, layout="mono")
                frame.sample_rate = SAMPLE_RATE
                frame.pts = i
                frame.time_base = Fraction(1, SAMPLE_RATE)
                for packet in astream.encode(frame):
                    out.mux(packet)
            for packet in astream.encode(None):
                out.mux(packet)
        if vstream is not None:
            for i, img in enumerate(itertools.chain([first], frame_iter)):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img, dtype=np.uint8), format="rgb24")
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                for packet in vstream.encode(frame):
                    out.mux(packet)
            for packet in vstream.encode(None):
                out.mux(packet)
