"""``NetworkSource``: audio + video of a network stream (RTSP, RTMP, HTTP(S) progressive or HLS, SRT, UDP)
through PyAV, reconnecting with back-off when the connection breaks.

Each connection is a ``MediaFileSource`` on the URL (the same decoding as a file: 16 kHz mono
audio stamped by sample count, RGB frames with their presentation time). When a connection
breaks (a read error or time-out, or a stream of known length ending early) the source reports
"stalled", then "retrying" before each attempt with exponential back-off, and "running" when
packets flow again; after ``max_retries`` failed attempts it ends with ``error`` set (what came
before stays valid, as with a truncated file). Resuming keeps one stream clock:

- a stream with a known duration (a clip or recording over HTTP, a VOD HLS playlist) seeks back
  to where it broke; overlapping audio is trimmed and frames already delivered are skipped;
- a live stream (RTSP/RTMP/SRT/UDP, or any stream without a duration) continues the clock where
  the last connection stopped (stream time counts media received, not the outage).

Audio stays contiguous across a reconnect (a gap is filled with silence), as the features expect.
A URL that cannot be opened at all is one ``InputError`` line naming the (password-free) URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import numpy as np

from streammsa.capture.location import LIVE_SCHEMES, NETWORK_SCHEMES, display_name, redact, scheme_of
from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, Packet, VideoFrame
from streammsa.capture.source import Source
from streammsa.errors import InputError, UsageError
from streammsa.log import get as get_logger

log = get_logger("capture.network")

# FFmpeg options per scheme: RTSP over TCP (UDP loses packets on most networks and behind NAT)
SCHEME_OPTIONS: dict[str, dict[str, str]] = {
    "rtsp": {"rtsp_transport": "tcp"},
    "rtsps": {"rtsp_transport": "tcp"},
}
# a frame at (or before) the last delivered one is a repeat after a seek back: the same media timestamp
_REPEAT_SLACK_S = 0.001


class NetworkSource(Source):
    """A network stream; ``live`` None decides from the scheme and whether the stream has a duration."""

    def __init__(
        self,
        url: str,
        *,
        audio: bool = True,
        video: bool = True,
        max_fps: float | None = None,
        live: bool | None = None,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        timeout_s: float = 10.0,
        options: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        scheme = scheme_of(url)
        if scheme not in NETWORK_SCHEMES:
            known = ", ".join(f"{s}://" for s in sorted(NETWORK_SCHEMES))
            raise UsageError(f"'{redact(url)}' is not a network stream URL; use {known} or a file path")
        if max_retries < 0:
            raise UsageError(f"retries must be 0 or more, got {max_retries}")
        self.url = url
        self.name = display_name(url)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.timeout_s = timeout_s
        self._options = {**SCHEME_OPTIONS.get(scheme, {}), **(options or {})}
        self._streams = {"audio": audio, "video": video, "max_fps": max_fps}
        self._closed = threading.Event()
        self._iterating = False
        self.reconnects = 0  # successful reconnections
        self.retries = 0  # connection attempts after a break
        self.last_failure = ""  # why the last connection attempt failed
        self._conn: MediaFileSource | None = self._connect()  # the first connection fails loudly
        conn = self._conn
        self.has_audio = conn.has_audio and audio
        self.has_video = conn.has_video and video
        if not (self.has_audio or self.has_video):
            conn.close()
            raise InputError(f"{redact(url)} has no {'audio or video' if audio and video else 'chosen'} stream")
        self.duration = conn.duration
        self.fps = conn.fps
        self.is_live = live if live is not None else (scheme in LIVE_SCHEMES or not conn.duration)
        self.audio_end = 0.0  # stream time just after the last delivered audio sample
        self.last_video_t = float("-inf")
        self._offset = 0.0  # live: added to each connection's own times so the clock keeps going

    @property
    def delivered_until(self) -> float:
        return max(self.audio_end, self.last_video_t if self.last_video_t > float("-inf") else 0.0)

    @property
    def resume_point(self) -> float:
        """Where a stream of known length resumes: the stream that got least far (audio runs ahead of video)."""
        points = [self.audio_end] if self.has_audio else []
        if self.has_video and self.last_video_t > float("-inf"):
            points.append(self.last_video_t)
        return min(points) if points else 0.0

    # ---- connections -------------------------------------------------------------------------

    def _connect(self) -> MediaFileSource:
        try:
            return MediaFileSource(
                self.url,
                audio=self._streams["audio"],
                video=self._streams["video"],
                max_fps=self._streams["max_fps"],
                options=self._options,
                timeout_s=self.timeout_s,
            )
        except InputError as exc:
            text = str(exc)  # "cannot open NAME: not a readable media file (REASON); check ..."
            close = text.find("); ") if "); " in text else text.rfind(")")
            reason = text[text.find("(") + 1 : close] if "(" in text else _cause(text)
            self.last_failure = reason
            raise InputError(
                f"cannot open stream {redact(self.url)} ({reason}); check the URL and that the stream is up"
            ) from None

    def _resume(self) -> MediaFileSource:
        """A new connection placed on the stream clock where the last one stopped."""
        conn = self._connect()
        if self.is_live:
            self._offset = self.delivered_until
        elif self.resume_point > 0:
            try:
                conn.seek(self.resume_point)
            except Exception:  # noqa: BLE001 - a server without range requests: decode from the start, skip repeats
                log.debug("%s: seeking to %.2f s failed; skipping what was delivered", self.name, self.resume_point)
        return conn

    # ---- packets -----------------------------------------------------------------------------

    def packets(self) -> Iterator[Packet]:
        self._iterating = True
        try:
            yield from self._packets()
        finally:
            self._iterating = False
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

    def _packets(self) -> Iterator[Packet]:
        attempts = 0
        while not self._closed.is_set():
            conn = self._conn
            if conn is None:
                return
            flowing = False
            for pkt in conn.packets():
                placed = self._place(pkt)
                if placed is None:
                    continue
                if attempts and not flowing:
                    self.reconnects += 1
                    self._status("running", f"{self.name}: reconnected, stream flowing again at {placed.t:.2f} s")
                    attempts = 0
                flowing = True
                yield placed
                if self._closed.is_set():
                    return
            reason = conn.error
            conn.close()
            self._conn = None
            if self._closed.is_set():
                return
            if reason is None and not self.is_live:
                return  # the whole stream arrived
            reason = _cause(reason) if reason else f"the stream ended at {self.delivered_until:.2f} s"
            self._status("stalled", f"{self.name}: {reason}")
            self._conn, attempts = self._reconnect(reason, attempts)

    def _reconnect(self, reason: str, attempts: int) -> tuple[MediaFileSource | None, int]:
        """Retry with back-off; None (and ``error`` set) when out of attempts or closed."""
        while attempts < self.max_retries:
            attempts += 1
            delay = min(self.backoff_s * 2 ** (attempts - 1), self.backoff_max_s)
            detail = f"{self.name}: reconnecting, attempt {attempts} of {self.max_retries} in {delay:.1f} s"
            self._status("retrying", detail)
            if self._closed.wait(delay):
                return None, attempts
            self.retries += 1
            try:
                return self._resume(), attempts
            except InputError:
                reason = self.last_failure
        self.error = (
            f"{self.name}: stream lost at {self.delivered_until:.2f} s and not back after "
            f"{self.max_retries} reconnection attempts ({reason})"
        )
        return None, attempts

    def _place(self, pkt: Packet) -> Packet | None:
        """Put a connection's packet on this source's clock; None for what was already delivered."""
        if isinstance(pkt, AudioChunk):
            return self._place_audio(pkt.t + self._offset, pkt.samples)
        t = pkt.t + self._offset
        if t <= self.last_video_t + _REPEAT_SLACK_S:
            return None
        self.last_video_t = t
        return VideoFrame(t, pkt.image)

    def _place_audio(self, t: float, samples: np.ndarray) -> AudioChunk | None:
        start = self.audio_end
        skip = int(round((start - t) * SAMPLE_RATE))
        if skip > 0:  # overlaps what was delivered (a seek lands on the keyframe before)
            samples = samples[skip:]
        elif skip < 0 and start > 0:  # a gap after a reconnect: silence keeps audio time contiguous
            samples = np.concatenate([np.zeros(-skip, dtype=np.float32), samples])
        if len(samples) == 0:
            return None
        chunk = AudioChunk(start if start > 0 or skip > 0 else t, samples)
        self.audio_end = chunk.t_end
        return chunk

    def close(self) -> None:
        """End the stream; safe from any thread (a connection being read is closed by its reader)."""
        self._closed.set()
        if not self._iterating:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()


def _cause(message: str) -> str:
    """The reason inside an error line, without the stream name in front of it."""
    return message.split(": ", 1)[-1] if ": " in message else message


def open_media(location: object, **kwargs: object) -> Source:
    """A source for a file path or a network URL: ``MediaFileSource`` or ``NetworkSource`` (with ``kwargs``)."""
    from streammsa.capture.location import is_url

    if is_url(location):
        return NetworkSource(str(location), **kwargs)  # type: ignore[arg-type]
    if scheme_of(location) == "file":
        location = urlsplit(str(location)).path
    return MediaFileSource(location, **kwargs)  # type: ignore[arg-type]
