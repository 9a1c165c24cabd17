"""``PushSource``: media a program already has, pushed in with ``feed_audio(pcm, t)`` / ``feed_frame(image, t)``.

For programs that capture (or receive, or decode) media themselves, as RealtimeSTT's ``feed_audio``:
a call hands a chunk over and returns; the monitor's capture thread takes it from a bounded queue,
so a program pushing faster than the monitor keeps up is slowed down (``feed_*`` blocks) rather
than losing media. ``end()`` says there is no more: the run finishes what it has and ends.

Times are stream seconds (0 = start). Left out, a chunk's time follows the previous chunk (audio,
by sample count) or is the source clock's now (frames; the clock starts at the first push). Audio
stays contiguous, as a microphone's: a given ``t`` after a gap is filled with silence, a ``t``
overlapping what was pushed has its overlap dropped (jitter under 20 ms is ignored). Frame times
must increase.

Audio: 1-D (mono) or (samples, channels) arrays, float in [-1, 1] or int16, or raw bytes of 16-bit
little-endian PCM (``channels`` interleaved); any ``sample_rate`` (resampled to 16 kHz by PyAV).
Frames: HxWx3 uint8 RGB (``bgr=True`` for OpenCV images), HxWx4 (alpha dropped) or HxW grey.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from streammsa.capture.clock import StreamClock
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, Packet, VideoFrame
from streammsa.capture.source import Source
from streammsa.errors import InputError, UsageError

JITTER_S = 0.02  # a given audio time this close to the expected one is the expected one


class PushSource(Source):
    is_live = True

    def __init__(
        self,
        *,
        audio: bool = True,
        video: bool = True,
        sample_rate: int = SAMPLE_RATE,
        channels: int = 1,
        clock: StreamClock | None = None,
        queue_packets: int = 256,
        name: str = "push",
    ) -> None:
        super().__init__()
        if not (audio or video):
            raise UsageError("a push source needs audio, video or both")
        self.has_audio, self.has_video = audio, video
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.name = name
        self.clock = clock or StreamClock()
        self._queue: queue.Queue[Packet] = queue.Queue(maxsize=max(1, queue_packets))
        self._closed = threading.Event()
        self._ended = False
        self._lock = threading.Lock()  # feeds from several threads keep their order and times
        self._audio_end: float | None = None  # stream time after the last pushed sample
        self._last_frame_t = float("-inf")
        self._resamplers: dict[int, Any] = {}
        self.audio_pushed_s = 0.0
        self.frames_pushed = 0

    # ---- the program's side --------------------------------------------------------------------

    def feed_audio(self, pcm: Any, t: float | None = None, *, sample_rate: int | None = None) -> None:
        """Push audio whose first sample is at stream time ``t`` (default: right after the previous chunk)."""
        if not self.has_audio:
            raise UsageError("this push source has no audio (opened with audio=False)")
        rate = int(sample_rate or self.sample_rate)
        samples = self._resample(_as_mono_float(pcm, self.channels), rate)
        with self._lock:
            self._check_open()
            self.clock.start()
            start = self._audio_end
            if start is None:
                start = max(0.0, float(t)) if t is not None else self.clock.now()
            elif t is not None and abs(float(t) - start) > JITTER_S:
                shift = int(round((float(t) - start) * SAMPLE_RATE))
                if shift > 0:  # a gap: silence, as a microphone that lost blocks
                    samples = np.concatenate([np.zeros(shift, dtype=np.float32), samples])
                else:  # an overlap with what was pushed: drop it
                    samples = samples[-shift:]
            if len(samples) == 0:
                return
            chunk = AudioChunk(start, samples)
            self._audio_end = chunk.t_end
            self.audio_pushed_s += chunk.duration
            self._put(chunk)

    def feed_frame(self, image: Any, t: float | None = None, *, bgr: bool = False) -> None:
        """Push one video frame shown at stream time ``t`` (default: the source clock's now)."""
        if not self.has_video:
            raise UsageError("this push source has no video (opened with video=False)")
        rgb = _as_rgb(image, bgr)
        with self._lock:
            self._check_open()
            self.clock.start()
            ft = self.clock.now() if t is None else float(t)
            if ft <= self._last_frame_t:
                raise InputError(
                    f"feed_frame: time {ft:.3f} s is not after the previous frame's {self._last_frame_t:.3f} s; "
                    "frame times must increase (or leave t out to use the source clock)"
                )
            self._last_frame_t = ft
            self.frames_pushed += 1
            self._put(VideoFrame(ft, rgb))

    def end(self) -> None:
        """No more media: the monitor processes what it has and ends the run. Safe to call twice."""
        with self._lock:  # after every push in flight: the reader ends once the queue is empty
            self._ended = True

    # ---- the monitor's side --------------------------------------------------------------------

    def packets(self) -> Iterator[Packet]:
        while not self._closed.is_set():
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                # _ended is set after the last push went in, so an empty queue then stays empty
                if self._ended and self._queue.empty():
                    return
                continue
            yield item

    def close(self) -> None:
        self._closed.set()
        self._ended = True

    # ---- helpers -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._ended or self._closed.is_set():
            raise UsageError("this push source has ended (end() was called or the run stopped); open a new one")

    def _put(self, item: Packet) -> None:
        # block while the monitor is behind (back-pressure), but never past the run's end
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _resample(self, samples: np.ndarray, rate: int) -> np.ndarray:
        if rate == SAMPLE_RATE or len(samples) == 0:
            return samples
        import av  # only programs pushing another rate pay for it

        resampler = self._resamplers.get(rate)
        if resampler is None:
            resampler = self._resamplers[rate] = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32, copy=False) if out else np.zeros(0, dtype=np.float32)


def _as_mono_float(pcm: Any, channels: int) -> np.ndarray:
    if isinstance(pcm, (bytes, bytearray, memoryview)):
        x = np.frombuffer(bytes(pcm), dtype="<i2")
        if len(x) % max(1, channels):
            raise InputError(f"feed_audio: {len(x)} int16 samples do not split into {channels} channels")
        x = x.reshape(-1, channels) if channels > 1 else x
    else:
        x = np.asarray(pcm)
    if x.ndim not in (1, 2):
        raise InputError(f"feed_audio: expected (samples,) or (samples, channels), got shape {x.shape}")
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    elif x.dtype.kind != "f":
        raise InputError(f"feed_audio: expected float samples in [-1, 1] or int16, got {x.dtype}")
    if x.ndim == 2:
        x = x.mean(axis=1)
    return np.ascontiguousarray(x, dtype=np.float32)


def _as_rgb(image: Any, bgr: bool) -> np.ndarray:
    x = np.asarray(image)
    if x.dtype != np.uint8:
        raise InputError(f"feed_frame: expected a uint8 image, got {x.dtype}")
    if x.ndim == 2:
        return np.ascontiguousarray(np.repeat(x[:, :, None], 3, axis=2))
    if x.ndim != 3 or x.shape[2] not in (3, 4):
        raise InputError(f"feed_frame: expected HxWx3 RGB (or HxWx4, HxW), got shape {x.shape}")
    x = x[:, :, :3]
    return np.ascontiguousarray(x[:, :, ::-1] if bgr else x)
