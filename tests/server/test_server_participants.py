"""Participants mode on the server (protocol v3): every ``participant`` message stays in the history
late joiners get, subscribing to a person's stream still brings their participant messages, and a
client's ``rename`` is checked over a real loopback WebSocket before it reaches ``on_rename``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading

import pytest
from support.server_client import open_ws, recv_json, recv_until
from support.server_messages import hello, reading, status

from streammsa.protocol import Hello, ParticipantEvent
from streammsa.server import DashboardServer, ServerConfig
from streammsa.server.hub import History, Hub, Outgoing


def person(stream: str, state: str = "joined", name: str | None = None, t: float = 0.0) -> ParticipantEvent:
    number = stream.lstrip("p")
    return ParticipantEvent(
        stream=stream, name=name or f"Person {number}", state=state, voice=int(number) - 1, face=None, t=t
    )


def meeting_hello() -> Hello:
    """A participants-mode hello: its streams hold the room stream only."""
    return dataclasses.replace(hello(streams=("main",)), participants=True)


def _texts(items: list[Outgoing]) -> list[dict]:
    return [json.loads(i.text) for i in items]


# ---- the history (hub logic, no sockets) ---------------------------------------------------------
def test_participant_messages_are_all_kept_first_whatever_their_age():
    history = History(seconds=5.0, max_messages=20)
    history.add(Outgoing.of(person("p1", t=0.0)))
    history.add(Outgoing.of(person("p2", t=1.0)))
    history.add(Outgoing.of(person("p1", "renamed", "Ana", t=2.0)))
    for seq in range(60):  # pushes everything else out of both the 5 s window and the 20-message cap
        history.add(Outgoing.of(reading(seq, stream="p1")))
    history.add(Outgoing.of(person("p2", "left", t=70.0)))
    history.add(Outgoing.of(status("starting", 0.0, stream="p1")))  # a restarted stream keeps its person
    snap = _texts(history.snapshot())
    people = [(m["stream"], m["state"], m["name"]) for m in snap if m["type"] == "participant"]
    assert people == [("p1", "joined", "Person 1"), ("p2", "joined", "Person 2"), ("p1", "renamed", "Ana"),
                      ("p2", "left", "Person 2")]  # fmt: skip
    assert [m["type"] for m in snap[:4]] == ["participant"] * 4  # names come before what they label
    assert history.participant_streams == {"p1", "p2"}


def test_a_runaway_producer_keeps_each_persons_first_and_latest_message():
    history = History(seconds=600.0, max_messages=1000)
    history.PARTICIPANTS_MAX = 5
    history.add(Outgoing.of(person("p1")))
    history.add(Outgoing.of(person("p2")))
    for i in range(20):
        history.add(Outgoing.of(person("p1", "updated", f"Name {i}")))
    kept = [(m["stream"], m["name"]) for m in _texts(history.snapshot())]
    assert len(kept) == 5
    assert kept[0] == ("p1", "Person 1") and kept[1] == ("p2", "Person 2") and kept[-1] == ("p1", "Name 19")


def test_subscribing_to_a_person_brings_their_participant_messages_only():
    hub = Hub(client_queue_size=16, history=History(600.0, 1000))
    hub.set_hello(meeting_hello())
    hub.broadcast(Outgoing.of(person("p1")))
    hub.broadcast(Outgoing.of(person("p2")))
    hub.broadcast(Outgoing.of(reading(0, stream="p2")))
    client = hub.register(["p2"])
    hub.broadcast(Outgoing.of(person("p2", "renamed", "Bo")))
    hub.broadcast(Outgoing.of(person("p1", "renamed", "Ana")))
    got = []
    while (text := client.pop()) is not None:
        got.append(json.loads(text))
    assert got[0]["type"] == "hello" and got[0]["participants"] is True and got[0]["history"] == 2
    assert [(m["type"], m["stream"], m.get("name")) for m in got[1:]] == [
        ("participant", "p2", "Person 2"),
        ("reading", "p2", None),
        ("participant", "p2", "Bo"),
    ]


# ---- rename over a real WebSocket ------------------------------------------------------------------
class Renames:
    """An on_rename that does what the monitor does: publish the renamed participant to every client."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []  # (stream, name, thread name)
        self.server: DashboardServer | None = None

    def __call__(self, stream: str, name: str) -> None:
        self.calls.append((stream, name, threading.current_thread().name))
        assert self.server is not None
        self.server.publish(person(stream, "renamed", name))


@pytest.fixture
def renames():
    return Renames()


@pytest.fixture
def server(renames):
    srv = DashboardServer(ServerConfig(port=0), on_rename=renames)
    renames.server = srv
    srv.start()
    srv.set_hello(meeting_hello())
    srv.publish(person("p1"))
    srv.publish(person("p2"))
    yield srv
    srv.stop()


async def _send_all(srv: DashboardServer, messages: list[dict]) -> list[dict]:
    """Each message, then the first error or participant message it brought back."""
    async with open_ws(srv.url) as ws:
        first = await recv_json(ws)
        for _ in range(first["history"]):
            await recv_json(ws)
        answers = []
        for msg in messages:
            await ws.send(json.dumps(msg))
            while (got := await recv_json(ws))["type"] not in ("error", "participant"):
                pass
            answers.append(got)
        return answers


def test_a_valid_rename_reaches_on_rename_off_the_loop_and_every_client_sees_it(server, renames):
    async def go():
        async with open_ws(server.url) as watcher:
            await recv_until(watcher, "hello")
            answers = await _send_all(server, [{"type": "rename", "stream": "p1", "name": "  Ana Lima  "}])
            seen = await recv_until(watcher, "participant")
            while seen["state"] != "renamed":
                seen = await recv_until(watcher, "participant")
            return answers[0], seen

    answer, seen = asyncio.run(go())
    assert renames.calls[0][:2] == ("p1", "Ana Lima")  # stripped
    assert renames.calls[0][2].startswith("streammsa-rename")  # the server's rename thread, not the loop's
    assert answer == {**answer, "type": "participant", "stream": "p1", "state": "renamed", "name": "Ana Lima"}
    assert seen == answer


@pytest.mark.parametrize(
    "message,code,says",
    [
        ({"type": "rename", "stream": "p9", "name": "Zed"}, "unknown_participant", "known: p1, p2"),
        ({"type": "rename", "stream": "main", "name": "Zed"}, "unknown_participant", "'main'"),
        ({"type": "rename", "stream": "", "name": "Zed"}, "invalid_message", "stream id"),
        ({"type": "rename", "name": "Zed"}, "invalid_message", "stream id"),
        ({"type": "rename", "stream": ["p1"], "name": "Zed"}, "invalid_message", "stream id"),
        ({"type": "rename", "stream": "p1"}, "invalid_message", "must be a string"),
        ({"type": "rename", "stream": "p1", "name": 7}, "invalid_message", "must be a string"),
        ({"type": "rename", "stream": "p1", "name": "   "}, "invalid_name", "cannot be empty"),
        ({"type": "rename", "stream": "p1", "name": "x" * 41}, "invalid_name", "at most 40 characters, got 41"),
        ({"type": "rename", "stream": "p1", "name": "Ana\nLima"}, "invalid_name", "printable"),
        ({"type": "rename", "stream": "p1", "name": "Ana\u0007"}, "invalid_name", "printable"),
    ],
)
def test_bad_renames_get_a_clear_error_and_never_reach_on_rename(server, renames, message, code, says):
    bad, after = asyncio.run(_send_all(server, [message, {"type": "rename", "stream": "p2", "name": "Bo"}]))
    assert bad["type"] == "error" and bad["code"] == code and says in bad["message"]
    assert after["type"] == "participant" and after["name"] == "Bo"  # the connection stays up and usable
    assert [c[:2] for c in renames.calls] == [("p2", "Bo")]


def test_forty_characters_of_any_script_are_a_valid_name_within_the_message_size_limit(server, renames):
    name = "𝄞" * 40  # 40 characters, 80 UTF-16 units, 160 UTF-8 bytes
    (answer,) = asyncio.run(_send_all(server, [{"type": "rename", "stream": "p2", "name": name}]))
    assert answer["name"] == name and renames.calls[0][:2] == ("p2", name)
    assert len(json.dumps({"type": "rename", "stream": "p2", "name": name})) < ServerConfig().max_message_bytes


def test_without_on_rename_the_client_is_told_renaming_is_not_available():
    with DashboardServer(ServerConfig(port=0)) as srv:
        assert srv.on_rename is None
        srv.set_hello(meeting_hello())
        srv.publish(person("p1"))
        (answer,) = asyncio.run(_send_all(srv, [{"type": "rename", "stream": "p1", "name": "Ana"}]))
    assert answer["code"] == "rename_unavailable" and answer["message"] == "renaming is not available in this run"


def test_a_failing_on_rename_is_reported_to_that_client():
    def refuse(stream: str, name: str) -> None:
        raise ValueError(f"{stream} left the meeting")

    with DashboardServer(ServerConfig(port=0), on_rename=refuse) as srv:
        srv.set_hello(meeting_hello())
        srv.publish(person("p1"))
        (answer,) = asyncio.run(_send_all(srv, [{"type": "rename", "stream": "p1", "name": "Ana"}]))
    assert answer["code"] == "rename_failed" and "p1 left the meeting" in answer["message"]


def test_a_participant_announced_after_connecting_can_be_renamed_and_late_joiners_see_the_name(server, renames):
    server.publish(person("p3", t=30.0))
    asyncio.run(_send_all(server, [{"type": "rename", "stream": "p3", "name": "Cy"}]))

    async def late():
        async with open_ws(server.url) as ws:
            first = await recv_json(ws)
            return [await recv_json(ws) for _ in range(first["history"])]

    history = asyncio.run(late())
    assert [(m["stream"], m["state"], m["name"]) for m in history if m["type"] == "participant"] == [
        ("p1", "joined", "Person 1"),
        ("p2", "joined", "Person 2"),
        ("p3", "joined", "Person 3"),
        ("p3", "renamed", "Cy"),
    ]
