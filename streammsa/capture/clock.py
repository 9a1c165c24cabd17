"""The one stream clock: seconds as a float, 0 at stream start.

Live sources stamp packets with ``StreamClock.now()`` (monotonic, immune to wall-clock
jumps). File sources do not need it: their media timestamps ARE the stream clock, and
pacing (streammsa.capture.pacing) maps them onto wall time.
"""

from __future__ import annotations

import threading
import time


class StreamClock:
    """Monotonic seconds since ``start()`` (the first ``now()`` starts it if nobody did)."""

    def __init__(self) -> None:
        self._t0: float | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._t0 is None:
                self._t0 = time.monotonic()

    @property
    def started(self) -> bool:
        return self._t0 is not None

    def now(self) -> float:
        if self._t0 is None:
            self.start()
        assert self._t0 is not None
        return time.monotonic() - self._t0

    def to_monotonic(self, t: float) -> float:
        """The ``time.monotonic()`` value at which stream time ``t`` is (was) reached."""
        if self._t0 is None:
            self.start()
        assert self._t0 is not None
        return self._t0 + t
