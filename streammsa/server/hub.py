"""Broadcast hub: one bounded queue per client plus a bounded history for late joiners.

Everything here runs on the server's event-loop thread (the pipeline reaches it through
``loop.call_soon_threadsafe``), so there are no locks. A slow client only ever loses its own
oldest readings; the pipeline and the other clients never wait for it. A later message of a
reading (a revision, or its final re-send: same stream and ``seq``) takes the earlier one's place
in the history and in a client's queue, so neither holds a superseded reading.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, replace
from typing import Iterable

from streammsa.protocol import Dropped, Hello, Message


@dataclass(frozen=True)
class Outgoing:
    """One serialised message on its way out: type, stream and stream-clock time kept for routing."""

    type: str
    stream: str | None
    t: float | None
    text: str
    partial: bool = False  # a partial transcript (superseded by the next one)
    state: str | None = None  # alert state or status state, for history bookkeeping
    alert_id: str | None = None
    seq: int | None = None  # a reading's number in its stream: a later message with the same one replaces it
    update: bool = False  # a reading's revision or final re-send (not its first emission)

    @classmethod
    def of(cls, message: Message) -> "Outgoing":
        d = message.to_dict()
        t = d.get("t_end", d.get("t"))
        return cls(
            type=d["type"],
            stream=d.get("stream"),
            t=float(t) if isinstance(t, (int, float)) else None,
            text=json.dumps(d, separators=(",", ":"), allow_nan=False),  # same bytes as to_json(), one asdict
            partial=d["type"] == "transcript" and d.get("kind") == "partial",
            state=d.get("state"),
            alert_id=d.get("alert_id"),
            seq=d.get("seq") if d["type"] == "reading" else None,
            update=d["type"] == "reading" and d.get("update_latency_ms") is not None,
        )

    def supersedes(self, other: "Outgoing") -> bool:
        """Both are messages of the same reading (this one is the later)."""
        return self.update and other.seq == self.seq and other.stream == self.stream and other.type == self.type


class ClientQueue:
    """Bounded outgoing queue for one connection.

    Three lanes, drained in this order: ``control`` (pong/error replies, tiny and bounded),
    ``pending`` (hello + history replay, bounded by the history cap) and ``live`` (broadcasts,
    bounded by ``maxsize``). When ``live`` is full the oldest *reading* is dropped (alerts,
    transcripts and status are rarer and matter more); with no reading queued the oldest item goes.
    """

    CONTROL_MAX = 16

    def __init__(self, maxsize: int, streams: Iterable[str] | None = None) -> None:
        self.maxsize = maxsize
        self.streams: set[str] | None = set(streams) if streams is not None else None
        self.control: deque[str] = deque()
        self.pending: deque[str] = deque()
        self.live: deque[Outgoing] = deque()
        self.dropped_pending = 0
        self.dropped_total = 0
        self.ready = asyncio.Event()

    def wants(self, item: Outgoing) -> bool:
        return self.streams is None or item.stream is None or item.stream in self.streams

    def put(self, item: Outgoing) -> None:
        if item.update and _replace_last(self.live, item):
            self.ready.set()
            return  # the earlier message of this reading was still queued: the client gets the later one there
        if len(self.live) >= self.maxsize:
            self._drop_one()
        self.live.append(item)
        self.ready.set()

    def _drop_one(self) -> None:
        for i, queued in enumerate(self.live):
            if queued.type == "reading":
                del self.live[i]
                break
        else:
            self.live.popleft()
        self.dropped_pending += 1
        self.dropped_total += 1

    def put_control(self, text: str) -> None:
        if len(self.control) < self.CONTROL_MAX:  # a client flooding pings only loses its own replies
            self.control.append(text)
            self.ready.set()

    def replace_pending(self, texts: list[str]) -> None:
        """Start over from a history replay: queued live items are in that replay or superseded by it."""
        self.pending = deque(texts)
        self.live.clear()
        self.ready.set()

    def pop(self) -> str | None:
        """Next text to send (a ``dropped`` report comes first after an overflow), or None when empty."""
        if self.control:
            return self.control.popleft()
        if self.pending:
            return self.pending.popleft()
        if self.dropped_pending:
            report = Dropped(count=self.dropped_pending, total=self.dropped_total).to_json()
            self.dropped_pending = 0
            return report
        if self.live:
            return self.live.popleft().text
        self.ready.clear()
        return None

    def __len__(self) -> int:
        return len(self.control) + len(self.pending) + len(self.live)


class History:
    """What a late joiner needs to draw the recent past.

    Keeps readings, committed transcripts and alerts whose stream-clock time is within
    ``seconds`` of that stream's latest time (and at most ``max_messages`` overall), the latest
    partial transcript and the latest status per stream, and every alert that is still raised
    even when its raise fell out of the window. A ``status`` with state "starting" begins a new
    run of that stream and forgets its old history (its clock restarts).

    ``participant`` messages (a meeting's people) are all kept, whatever their age: they are few, and
    a late joiner needs each person's joining order and latest name before their readings make sense.
    """

    # A cap only against a runaway producer: beyond it the messages that are neither a person's first
    # (their place in the list) nor their latest (their name and state now) go, oldest first.
    PARTICIPANTS_MAX = 2000

    def __init__(self, seconds: float, max_messages: int) -> None:
        self.seconds = seconds
        self.max_messages = max_messages
        self.items: deque[Outgoing] = deque()
        self.latest_t: dict[str, float] = {}
        self.partial: dict[str, Outgoing] = {}
        self.status: dict[str, Outgoing] = {}
        self.active_alerts: dict[str, Outgoing] = {}
        self.readings: set[tuple[str, int]] = set()  # (stream, seq) of the readings in ``items``
        self.participants: list[Outgoing] = []
        self.participant_streams: set[str] = set()

    def add(self, item: Outgoing) -> None:
        stream = item.stream or ""
        if item.type == "participant":
            self.participants.append(item)
            self.participant_streams.add(stream)
            self._trim_participants()
            return
        if item.type == "status":
            if item.state == "starting":
                self._forget(stream)
            self.status[stream] = item
            return
        if item.type == "transcript" and item.partial:
            self.partial[stream] = item
            return
        if item.type not in ("reading", "transcript", "alert"):
            return
        if item.type == "transcript":
            self.partial.pop(stream, None)  # committed text supersedes the partial guess
        if item.type == "alert" and item.alert_id is not None:
            if item.state == "raised":
                self.active_alerts[item.alert_id] = item
            else:
                self.active_alerts.pop(item.alert_id, None)
        if item.t is not None and not item.update:  # a revision is of an older window: the clock stays
            self.latest_t[stream] = item.t
        if item.seq is not None:
            key = (stream, item.seq)
            if item.update and key in self.readings and _replace_last(self.items, item):
                return  # a revision takes its reading's place (same time, so nothing to trim)
            if item.update and self._expired(item):
                return  # its reading already left the history window
            self.readings.add(key)
        self.items.append(item)
        self._trim()

    def _expired(self, item: Outgoing) -> bool:
        latest = self.latest_t.get(item.stream or "")
        return item.t is not None and latest is not None and item.t < latest - self.seconds

    def _trim(self) -> None:
        while self.items and (len(self.items) > self.max_messages or self._expired(self.items[0])):
            gone = self.items.popleft()
            if gone.seq is not None:
                self.readings.discard((gone.stream or "", gone.seq))

    def _trim_participants(self) -> None:
        while len(self.participants) > self.PARTICIPANTS_MAX:
            last = {p.stream: i for i, p in enumerate(self.participants)}
            seen: set[str | None] = set()
            for i, p in enumerate(self.participants):
                if p.stream in seen and last[p.stream] != i:
                    del self.participants[i]
                    break
                seen.add(p.stream)
            else:
                return  # every message left is some person's first or latest

    def _forget(self, stream: str) -> None:
        # participant messages stay: a stream restarting does not make its person someone else
        self.items = deque(i for i in self.items if (i.stream or "") != stream)
        self.readings = {k for k in self.readings if k[0] != stream}
        self.latest_t.pop(stream, None)
        self.partial.pop(stream, None)
        self.active_alerts = {k: v for k, v in self.active_alerts.items() if (v.stream or "") != stream}

    def snapshot(self, wants=lambda item: True) -> list[Outgoing]:
        """Replay order: participants (names before the readings they label), still-raised alerts from before
        the window, the window, then latest status and partials."""
        in_window = {id(i) for i in self.items}
        older_alerts = [a for a in self.active_alerts.values() if id(a) not in in_window]
        out = (
            self.participants
            + older_alerts
            + list(self.items)
            + list(self.status.values())
            + list(self.partial.values())
        )
        return [i for i in out if wants(i)]


def _replace_last(items: deque[Outgoing], item: Outgoing) -> bool:
    """Put ``item`` in place of the newest earlier message of its reading in ``items``; False when there is none.

    Searched from the newest end: revisions come within seconds, so the earlier message is near it."""
    for i in range(len(items) - 1, -1, -1):
        if item.supersedes(items[i]):
            items[i] = item
            return True
    return False


class Hub:
    """Fans every published message out to all client queues and into the history."""

    def __init__(self, client_queue_size: int, history: History) -> None:
        self.client_queue_size = client_queue_size
        self.history = history
        self.clients: set[ClientQueue] = set()
        self.hello: Hello | None = None
        self.published = 0

    def _initial(self, client: ClientQueue) -> list[str]:
        past = self.history.snapshot(client.wants)
        texts = [i.text for i in past]
        if self.hello is not None:
            streams = (
                self.hello.streams if client.streams is None else [s for s in self.hello.streams if s in client.streams]
            )
            texts.insert(0, replace(self.hello, streams=streams, history=len(past)).to_json())
        return texts

    def register(self, streams: Iterable[str] | None = None) -> ClientQueue:
        """A new client: hello + history are queued atomically with joining the live fan-out."""
        client = ClientQueue(self.client_queue_size, streams)
        client.replace_pending(self._initial(client))
        self.clients.add(client)
        return client

    def subscribe(self, client: ClientQueue, streams: Iterable[str] | None) -> None:
        client.streams = set(streams) if streams is not None else None
        client.replace_pending(self._initial(client))

    def unregister(self, client: ClientQueue) -> None:
        self.clients.discard(client)

    def set_hello(self, hello: Hello) -> None:
        self.hello = hello
        item = Outgoing(type="hello", stream=None, t=None, text=replace(hello, history=0).to_json())
        for client in self.clients:
            client.put(item)  # the live lane keeps it in order with what was published before it

    def broadcast(self, item: Outgoing) -> None:
        self.published += 1
        self.history.add(item)
        for client in self.clients:
            if client.wants(item):
                client.put(item)
