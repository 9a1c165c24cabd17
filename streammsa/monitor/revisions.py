"""Readings already emitted that words may still join, and when each of them becomes final.

Readings go out on time (``--text-wait 0``), so a word the recogniser commits after its window's
reading was emitted would never reach that window. The engine loop keeps each emitted reading that
is not final here; when committed words land inside one, it re-runs the model on that window and
emits a revision (same ``seq``, ``revision + 1``). A reading is final once the text watermark (the
stream time before which no more words can be committed, ``AsrWorker.text_final``) has passed its
window's end, or once it falls ``horizon_s`` behind the newest emitted window (a recogniser that far
behind is not waited for: the bound keeps memory and cached features small).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from streammsa.engine.windowing import Window
from streammsa.protocol import Reading

REVISION_HORIZON_S = 60.0


@dataclass
class OpenReading:
    """The latest message sent for one window, and what it read (to tell when new words or voices joined)."""

    window: Window
    reading: Reading
    text_steps: tuple  # what the window's inputs were when ``reading`` was built (EngineLoop._signature)
    transcript: str


@dataclass
class OpenReadings:
    """Emitted, not-yet-final readings of one stream, oldest first."""

    horizon_s: float = REVISION_HORIZON_S

    def __post_init__(self) -> None:
        self._open: list[OpenReading] = []
        self._newest_end = float("-inf")

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[OpenReading]:
        return iter(list(self._open))

    def add(self, item: OpenReading) -> None:
        self._open.append(item)
        self._newest_end = max(self._newest_end, item.window.t_end)

    def emitted(self, window_end: float) -> None:
        """A window ending at ``window_end`` went out (final or not): it moves the horizon."""
        self._newest_end = max(self._newest_end, window_end)

    def is_final(self, item: OpenReading, text_final: float) -> bool:
        """No more words can join ``item``'s window: the text watermark passed its end, or it is past the horizon."""
        end = item.window.t_end
        return end <= text_final + 1e-9 or end < self._newest_end - self.horizon_s

    def any_final(self, text_final: float) -> bool:
        return any(self.is_final(o, text_final) for o in self._open)

    def close(self, item: OpenReading) -> None:
        """``item`` went out final: it is no longer revised."""
        self._open.remove(item)

    @property
    def oldest_start(self) -> float | None:
        """Start of the oldest open window (its features must stay cached for a revision)."""
        return min((o.window.t_start for o in self._open), default=None)
