"""When (wall time) the stream reached each point (stream time), for honest latency figures.

Capture tells us when (wall time) the stream reached each point (stream time): a paced
replay reaches t at start + t / speed, a live source as samples arrive, a ``--fast``
replay as fast as it decodes. The latency of a reading is then "emitted at" minus
"the stream reached the window's end at", whatever the pacing.
"""

from __future__ import annotations

import bisect
import threading
import time


class LatencyClock:
    """Thread-safe record of (stream time reached, wall time) observations."""

    def __init__(self, max_points: int = 100_000) -> None:
        self._t: list[float] = []
        self._wall: list[float] = []
        self._lock = threading.Lock()
        self._max = max_points

    def observe(self, t_stream: float, wall: float | None = None) -> None:
        """The stream has reached ``t_stream`` (end of the packet just delivered) at ``wall``."""
        wall = time.monotonic() if wall is None else wall
        with self._lock:
            if self._t and t_stream <= self._t[-1]:
                return
            self._t.append(t_stream)
            self._wall.append(wall)
            if len(self._t) > self._max:  # long live sessions: keep the recent half
                half = self._max // 2
                del self._t[:half], self._wall[:half]

    def wall_at(self, t_stream: float) -> float | None:
        """Wall time at which the stream first reached ``t_stream`` (None if not yet)."""
        with self._lock:
            i = bisect.bisect_left(self._t, t_stream - 1e-9)
            if i >= len(self._t):
                return None
            return self._wall[i]

    def latency_ms(self, t_stream: float, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        wall = self.wall_at(t_stream)
        if wall is None:
            with self._lock:
                wall = self._wall[-1] if self._wall else now
        return max(0.0, (now - wall) * 1000.0)
