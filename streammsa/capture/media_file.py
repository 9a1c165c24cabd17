"""``MediaFileSource``: a recorded file decoded with PyAV into stream-clock packets.

Containers: anything FFmpeg reads (mp4/mov/mkv/webm/mpg/avi, audio-only wav/flac/mp3...).
Audio is resampled to float32 mono 16 kHz (``av.AudioResampler``) and stamped by sample
count, so audio time never drifts; video frames are RGB uint8 stamped with their
presentation time, optionally decimated to ``max_fps``. Time 0 is the earliest start of
the chosen streams, so the media timestamps are the stream clock.

``frame_filter(t) -> bool`` (optional, set before iterating): the frames a consumer will
analyse. Every frame is still decoded (a video codec needs them), but only those it accepts
are converted to RGB and delivered, plus the last frame of the stream, so the stream still ends
where it did. Converting a frame costs about as much as decoding it; a face extractor analysing
10 of 25 frames per second need not pay for the other 15.

Errors: a missing/unreadable path or a file FFmpeg cannot parse raises ``InputError``
(one line) from the constructor. A stream that breaks mid-file (decode error or the file
ends well before the duration its header promises) ends iteration cleanly: packets
decoded so far were delivered and ``error`` holds one line saying what happened.
"""

from __future__ import annotations

import heapq
import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np

from streammsa.capture.location import display_name, is_url
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, Packet, VideoFrame
from streammsa.capture.source import Source
from streammsa.errors import InputError

# A file whose decoded streams end this much before its declared duration is reported
# as truncated (container durations of intact files are exact to within a frame or two).
TRUNCATION_SLACK_S = 0.5
# How far the streams may drift apart in demux order before packets are released anyway:
# bounds memory when one stream ends early (a short soundtrack under a long video).
REORDER_WINDOW_S = 2.0
# ``apart()``: how far one part of a file may run ahead of the other. The monitor keeps 600 s of features
# (graph.CACHE_HORIZON_S) and a window waits for every modality: a bounded lead keeps the features of the part
# that runs ahead (the audio beside a slow face stage, the video beside a slow recogniser) until they are read.
PART_LEAD_S = 120.0


def _fmt_av_error(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).splitlines()[0] if msg else type(exc).__name__


class MediaFileSource(Source):
    """Decode ``path``; ``audio`` / ``video`` choose streams; ``max_fps`` drops video frames."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        audio: bool = True,
        video: bool = True,
        max_fps: float | None = None,
        frame_filter: Callable[[float], bool] | None = None,
        options: dict[str, str] | None = None,
        timeout_s: float | None = None,
        t0: float | None = None,
    ) -> None:
        """``t0``: the media time that is stream time 0 (default: the earliest start of the chosen streams)."""
        super().__init__()
        # a URL is one connection of a network stream (capture/network.py reconnects it): FFmpeg
        # ``options`` and a ``timeout_s`` for opening and for each read apply to it
        self.url = str(path) if is_url(path) else None
        self.path = Path(display_name(path)) if self.url else Path(path)
        self.name = self.path.name
        self.max_fps = max_fps
        self.frame_filter = frame_filter
        self.frames_decoded = 0  # video frames decoded (after max_fps), delivered or not
        self.frames_skipped = 0  # ... of which frame_filter refused (never converted to RGB)
        if max_fps is not None and max_fps <= 0:
            raise InputError(f"max fps must be positive, got {max_fps}")
        if self.url is None and not self.path.exists():
            raise InputError(f"cannot open {self.path}: no such file; check the path")
        if self.url is None and self.path.is_dir():
            raise InputError(f"cannot open {self.path}: it is a folder, not a media file; check the path")
        if self.url is None and not os.access(self.path, os.R_OK):
            raise InputError(f"cannot open {self.path}: permission denied; check the path")
        try:
            self._container = av.open(self.url or str(self.path), mode="r", options=options or {}, timeout=timeout_s)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise InputError(
                f"cannot open {self.path}: not a readable media file ({_fmt_av_error(exc)}); "
                "check the path and format (mp4/mov/mkv/webm/mpg/avi/wav/flac/mp3)"
            ) from exc
        c = self._container
        self._audio_stream = c.streams.audio[0] if c.streams.audio else None
        self._video_stream = c.streams.video[0] if c.streams.video else None
        self.has_audio = self._audio_stream is not None
        self.has_video = self._video_stream is not None
        if not (self.has_audio or self.has_video):
            c.close()
            raise InputError(
                f"cannot open {self.path}: it has neither an audio nor a video stream; check the path and format"
            )
        self._use_audio = audio and self.has_audio
        self._use_video = video and self.has_video
        self.t0 = self._start_time() if t0 is None else float(t0)
        self.duration = self._duration()
        self.fps = (
            float(self._video_stream.average_rate) if self.has_video and self._video_stream.average_rate else None
        )
        if self._video_stream is not None:
            self.width = self._video_stream.codec_context.width
            self.height = self._video_stream.codec_context.height
        self._closed = False
        self.delivered_until = 0.0  # stream time reached by the packets delivered so far
        self.max_pending = 0  # most packets held for reordering at once (memory check)
        self._paced_by: MediaFileSource | None = None  # apart(): the other part, which this one stays near

    def apart(self) -> list[MediaFileSource]:
        """The audio and the video of this file as two sources on one clock, or ``[self]`` when it has not both.

        For a replay as fast as it decodes (``--fast``): the audio stages then need not wait for the video's
        decoding, so speech recognition runs beside the face stage instead of after it. Neither part runs more
        than ``PART_LEAD_S`` ahead of the other while the other goes on. This source is closed; use the parts.
        """
        if self.url is not None or not (self._use_audio and self._use_video):
            return [self]
        audio = MediaFileSource(self.path, video=False, t0=self.t0)
        video = MediaFileSource(
            self.path, audio=False, max_fps=self.max_fps, frame_filter=self.frame_filter, t0=self.t0
        )
        audio.has_video, video.has_audio = False, False  # each part says what it delivers
        audio._paced_by, video._paced_by = video, audio
        self.close()
        return [audio, video]

    def _chosen(self) -> list[av.stream.Stream]:
        out = []
        if self._use_audio:
            out.append(self._audio_stream)
        if self._use_video:
            out.append(self._video_stream)
        return out

    def _start_time(self) -> float:
        starts = [float(s.start_time * s.time_base) for s in self._chosen() if s.start_time is not None]
        return min(starts) if starts else 0.0

    def _duration(self) -> float | None:
        durs = [
            float(s.duration * s.time_base) + float((s.start_time or 0) * s.time_base) - self.t0
            for s in self._chosen()
            if s.duration is not None
        ]
        if durs:
            return max(durs)
        if self._container.duration is not None:
            return self._container.duration / av.time_base
        return None

    def packets(self) -> Iterator[Packet]:
        """Packets from both chosen streams merged in time order (each stream is monotonic)."""
        streams = self._chosen()
        if not streams:
            return
        # Demuxing interleaves streams only roughly by time: hold packets in a heap and
        # release one when every stream has advanced past it, or when it is more than
        # REORDER_WINDOW_S behind the newest packet (a stream that ended early).
        heap: list[tuple[float, int, Packet]] = []
        seq = itertools.count()
        last_t = {s.index: float("-inf") for s in streams}
        for stream_index, pkt in self._decode(streams):
            last_t[stream_index] = pkt.t
            heapq.heappush(heap, (pkt.t, next(seq), pkt))
            self.max_pending = max(self.max_pending, len(heap))
            horizon = max(min(last_t.values()), max(last_t.values()) - REORDER_WINDOW_S)
            while heap and heap[0][0] <= horizon:
                yield self._deliver(heapq.heappop(heap)[2])
        while heap:
            yield self._deliver(heapq.heappop(heap)[2])
        self._check_truncated()

    def _deliver(self, pkt: Packet) -> Packet:
        other = self._paced_by
        while other is not None and not other._closed and pkt.t > other.delivered_until + PART_LEAD_S:
            time.sleep(0.05)  # the other part's capture closes it when it ends or stops
        end = pkt.t_end if isinstance(pkt, AudioChunk) else pkt.t
        self.delivered_until = max(self.delivered_until, end)
        return pkt

    def _check_truncated(self) -> None:
        if self.error is None and self.duration and self.delivered_until < self.duration - TRUNCATION_SLACK_S:
            self.error = (
                f"{self.path.name}: stream ended at {self.delivered_until:.2f} s of "
                f"{self.duration:.2f} s; the file looks truncated"
            )

    def _decode(self, streams: list[av.stream.Stream]) -> Iterator[tuple[int, Packet]]:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE) if self._use_audio else None
        audio_next: float | None = None  # stream time of the next resampled sample
        min_gap = (1.0 / self.max_fps) * 0.999 if self.max_fps else 0.0
        last_video = float("-inf")
        held: tuple[float, av.VideoFrame] | None = None  # the last frame frame_filter refused
        try:
            for packet in self._container.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        if audio_next is None:
                            audio_next = (frame.time - self.t0) if frame.time is not None else 0.0
                        for out in resampler.resample(frame):  # type: ignore[union-attr]
                            x = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                            if len(x):
                                yield packet.stream.index, AudioChunk(audio_next, x)
                                audio_next += len(x) / SAMPLE_RATE
                    elif isinstance(frame, av.VideoFrame):
                        t = (frame.time - self.t0) if frame.time is not None else last_video + 1.0 / (self.fps or 25.0)
                        if t - last_video < min_gap:
                            continue
                        last_video = t
                        self.frames_decoded += 1
                        if self.frame_filter is not None and not self.frame_filter(t):
                            self.frames_skipped += 1
                            held = (t, frame)  # delivered only if it turns out to be the last frame
                            continue
                        held = None
                        yield packet.stream.index, VideoFrame(t, frame.to_ndarray(format="rgb24"))
        except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
            # A broken stream mid-file: keep what was decoded, say what happened, end cleanly.
            self.error = f"{self.path.name}: decoding stopped at {self.delivered_until:.2f} s ({_fmt_av_error(exc)})"
        if held is not None:
            # the last frame marks where the video ends (the end of the stream, the last window)
            self.frames_skipped -= 1
            t, frame = held
            yield self._video_stream.index, VideoFrame(t, frame.to_ndarray(format="rgb24"))  # type: ignore[union-attr]
        if resampler is not None and audio_next is not None:
            try:
                for out in resampler.resample(None):
                    x = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    if len(x):
                        yield self._audio_stream.index, AudioChunk(audio_next, x)  # type: ignore[union-attr]
                        audio_next += len(x) / SAMPLE_RATE
            except (av.error.FFmpegError, ValueError):
                pass  # flushing a resampler after a broken stream can fail; nothing left to save

    def seek(self, t: float) -> None:
        """Decode from the keyframe at or before stream time ``t`` (a network stream resuming after a cut)."""
        self._container.seek(int((self.t0 + t) * av.time_base), backward=True, any_frame=False)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._container.close()


def read_audio(path: str | os.PathLike[str]) -> np.ndarray:
    """The whole audio track as float32 mono 16 kHz (for the ``--fast`` ASR path and tests)."""
    with MediaFileSource(path, video=False) as src:
        if not src.has_audio:
            raise InputError(f"{path} has no audio stream; speech recognition needs audio")
        chunks = [p.samples for p in src if isinstance(p, AudioChunk)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
