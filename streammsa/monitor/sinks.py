"""Where messages go: every consumer implements ``Sink`` (publish each message, close at the end).

The monitor publishes each message to its sinks in order and closes them in order, so the
timeline is complete on disk before the report sink reads it back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from streammsa.protocol import Message


@runtime_checkable
class Sink(Protocol):
    """Receives every message the monitor emits; ``publish`` must not block the engine for long."""

    def publish(self, message: Message) -> None: ...

    def close(self) -> None: ...


class CollectingSink:
    """Keeps every message in memory (tests, notebooks, programs embedding the monitor)."""

    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._lock = threading.Lock()

    def publish(self, message: Message) -> None:
        with self._lock:
            self._messages.append(message)

    def close(self) -> None:
        pass

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def dicts(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The messages as the timeline stores them (``to_dict``), optionally only one ``type``."""
        out = [m.to_dict() for m in self.messages]
        return out if kind is None else [m for m in out if m["type"] == kind]


class DashboardSink:
    """The dashboard server (WebSocket + page) behind the Sink interface; publish never blocks."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str | None,
        open_browser: bool,
        on_rename: Callable[[str, str], None] | None = None,
    ) -> None:
        from streammsa.server.app import DashboardServer
        from streammsa.server.config import ServerConfig

        self.server = DashboardServer(ServerConfig(host=host, port=port, token=token, open_browser=open_browser))
        self.server.on_rename = on_rename  # a participant named on the dashboard (participants mode)
        self.url = self.server.start()

    def publish(self, message: Message) -> None:
        self.server.publish(message)  # a Hello becomes the greeting every client gets first

    def close(self) -> None:
        self.server.stop()


class ReportSink:
    """Writes the run's outputs from the timeline at close (``recorder/outputs.py``: timeline.csv, summary.json,
    report.png, the interactive report.html, utterances.csv, transcript.srt/.vtt).

    ``run_info`` is asked for at close time, when the run's figures are final.

    ``prepare``: import the chart's plotting library now, on a thread of its own, while the run goes on (about
    0.5 CPU-s that a ``--fast`` run would otherwise spend after its last reading, on one core). Paced and live runs
    import it at close: beside start-up, the recogniser's and the text encoder's loading, an import (which holds
    the interpreter's lock) would delay the first readings and words, and a report's half second at the end of a
    live session matters less.
    """

    def __init__(self, out_dir: Path, run_info: Callable[[], dict[str, Any]], prepare: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.run_info = run_info
        self.stats: dict[str, Any] = {}
        self._closed = False
        if prepare:
            from streammsa.recorder.report import import_plotting

            # a daemon: an import leaves nothing to clean up, and the report's own import waits for this one
            threading.Thread(target=import_plotting, name="report-prepare", daemon=True).start()

    def publish(self, message: Message) -> None:
        pass  # everything is read back from timeline.jsonl: the report shows exactly what was recorded

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        from streammsa.recorder.outputs import write_outputs

        self.stats = write_outputs(self.out_dir, run_info=self.run_info()).stats
