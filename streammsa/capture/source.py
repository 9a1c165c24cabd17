"""What every capture source is: an iterator of packets in stream-clock order.

A source is single-use: iterate it once (usually inside a ``CaptureThread``), then
``close()``. ``is_live`` sources (camera device, microphone) are paced by the device;
file sources deliver as fast as they decode and are paced by the ``CaptureThread``.
``error`` holds a one-line description when the source stopped early because its input
broke (what was delivered before stays valid). ``on_status(state, detail)`` is called for
"stalled" / "retrying" / "running" transitions of sources that can recover.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from streammsa.capture.packets import Packet

StatusCallback = Callable[[str, str], None]


class Source:
    is_live: bool = False
    has_audio: bool = False
    has_video: bool = False
    error: str | None = None
    name: str = "source"

    def __init__(self) -> None:
        self.on_status: StatusCallback | None = None

    def _status(self, state: str, detail: str = "") -> None:
        if self.on_status is not None:
            self.on_status(state, detail)

    def packets(self) -> Iterator[Packet]:  # pragma: no cover - interface
        raise NotImplementedError

    def __iter__(self) -> Iterator[Packet]:
        return self.packets()

    def apart(self) -> list[Source]:
        """This source's streams on sources of their own, where that lets a fast replay overlap their work
        (``MediaFileSource``: audio and video); by default itself."""
        return [self]

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
