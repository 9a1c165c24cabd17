"""The one interface every consumer of messages implements (dashboard, timeline, console)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from streammsa.protocol import Message


@runtime_checkable
class Sink(Protocol):
    """Receives every message the monitor emits; ``publish`` must not block the engine for long."""

    def publish(self, message: Message) -> None: ...

    def close(self) -> None: ...
