"""The dashboard server over real loopback sockets: page serving, hello + history for late
joiners, live fan-out in order, client messages (ping, subscribe) and lifecycle."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from support.server_client import http_get, open_ws, recv_json, recv_until
from support.server_messages import alert, hello, reading, status, transcript

from streammsa.protocol import MESSAGE_TYPES, PROTOCOL_VERSION
from streammsa.server import DashboardServer, ServerConfig


@pytest.fixture
def server():
    srv = DashboardServer(ServerConfig(port=0))
    srv.start()
    yield srv
    srv.stop()


def test_start_returns_one_loopback_url_on_a_free_port(server):
    assert server.url == f"http://127.0.0.1:{server.port}/" and server.port > 0


def test_page_and_assets_are_served_with_a_strict_policy(server):
    status_, headers, body = http_get(server.url, "/")
    assert status_ == 200 and headers["content-type"].startswith("text/html")
    assert b'id="current-value"' in body
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    for path, ctype in (("/app.js", "text/javascript"), ("/style.css", "text/css"), ("/favicon.svg", "image/svg+xml")):
        st, h, _ = http_get(server.url, path)
        assert st == 200 and h["content-type"].startswith(ctype), path


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/nope.html", "/..%2fstreammsa/protocol.py"]
)
def test_paths_outside_web_or_missing_are_404(server, path):
    assert http_get(server.url, path)[0] == 404


def test_healthz_reports_clients_and_published_count(server):
    server.publish(reading(0))
    time.sleep(0.1)
    st, _, body = http_get(server.url, "/healthz")
    assert st == 200 and json.loads(body) == {"ok": True, "clients": 0, "published": 1}


def test_late_joiner_gets_hello_then_history_then_live_in_order(server):
    server.set_hello(hello(trained=False))
    server.publish(status("running", 1.0))
    for seq in range(5):
        server.publish(reading(seq))
    server.publish(alert("a1", "raised", 7.0))
    server.publish(transcript("good morning", 1.0, 2.0))
    server.publish(transcript("every", 2.0, 2.4, kind="partial"))

    async def go():
        async with open_ws(server.url) as ws:
            first = await recv_json(ws)
            history = [await recv_json(ws) for _ in range(first["history"])]
            server.publish(reading(5))
            live = await recv_json(ws)
            return first, history, live

    first, history, live = asyncio.run(go())
    assert first["type"] == "hello" and first["v"] == PROTOCOL_VERSION and first["trained"] is False
    assert first["history"] == 9
    assert [m["type"] for m in history] == ["reading"] * 5 + ["alert", "transcript", "status", "transcript"]
    assert [m["seq"] for m in history[:5]] == [0, 1, 2, 3, 4]
    assert history[-1]["kind"] == "partial" and history[-2]["state"] == "running"
    assert live["type"] == "reading" and live["seq"] == 5
    assert all(m["type"] in MESSAGE_TYPES for m in [first, *history, live])


def test_publish_from_many_threads_reaches_the_client_in_each_threads_order():
    server = DashboardServer(ServerConfig(port=0, client_queue_size=1000))  # room for all 600: no drops here
    server.start()
    server.set_hello(hello())

    async def go():
        async with open_ws(server.url) as ws:
            await recv_until(ws, "hello")

            def feed(stream: str) -> None:
                for seq in range(200):
                    server.publish(reading(seq, stream=stream))

            threads = [threading.Thread(target=feed, args=(s,)) for s in ("a", "b", "c")]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            got: dict[str, list[int]] = {"a": [], "b": [], "c": []}
            for _ in range(600):
                m = await recv_json(ws)
                got[m["stream"]].append(m["seq"])
            return got

    try:
        got = asyncio.run(go())
    finally:
        server.stop()
    assert all(seqs == list(range(200)) for seqs in got.values())


def test_ping_is_answered_with_pong_echoing_the_id(server):
    async def go():
        async with open_ws(server.url) as ws:
            await ws.send(json.dumps({"type": "ping", "id": 42}))
            return await recv_until(ws, "pong")

    before = time.time()
    pong = asyncio.run(go())
    assert pong["id"] == 42 and before - 1 <= pong["server_time"] <= time.time() + 1


def test_subscribe_limits_streams_and_replays_their_history(server):
    server.set_hello(hello(streams=("room-a", "room-b")))
    server.publish(reading(0, stream="room-a"))
    server.publish(reading(0, stream="room-b"))

    async def go():
        async with open_ws(server.url) as ws:
            first = await recv_json(ws)
            for _ in range(first["history"]):
                await recv_json(ws)
            await ws.send(json.dumps({"type": "subscribe", "streams": ["room-b"]}))
            again = await recv_until(ws, "hello")
            replay = [await recv_json(ws) for _ in range(again["history"])]
            server.publish(reading(1, stream="room-a"))
            server.publish(reading(1, stream="room-b"))
            live = await recv_json(ws)
            return again, replay, live

    again, replay, live = asyncio.run(go())
    assert again["streams"] == ["room-b"] and [m["stream"] for m in replay] == ["room-b"]
    assert (live["stream"], live["seq"]) == ("room-b", 1)


def test_set_hello_after_connect_reaches_connected_clients(server):
    async def go():
        async with open_ws(server.url) as ws:
            await asyncio.sleep(0.1)
            server.set_hello(hello(trained=True, model="dbr"))
            return await recv_until(ws, "hello")

    h = asyncio.run(go())
    assert h["model"] == "dbr" and h["trained"] is True and h["history"] == 0


def test_stop_closes_clients_with_going_away_and_is_idempotent():
    srv = DashboardServer(ServerConfig(port=0))
    srv.start()

    async def go():
        async with open_ws(srv.url) as ws:
            await asyncio.sleep(0.1)
            threading.Thread(target=srv.stop).start()
            with pytest.raises(Exception):
                while True:
                    await recv_json(ws, timeout=5)
            return ws.close_code

    assert asyncio.run(go()) == 1001
    srv.stop()
    srv.publish(reading(0))  # after stop: ignored, never raises or blocks


def test_stop_right_after_publishing_still_delivers_everything_published():
    srv = DashboardServer(ServerConfig(port=0))
    srv.start()

    async def go():
        async with open_ws(srv.url) as ws:
            await asyncio.sleep(0.1)
            for seq in range(100):
                srv.publish(reading(seq))
            srv.publish(status("ended", 104.0))
            threading.Thread(target=srv.stop).start()  # the pipeline stops the server at the end of a replay
            got = []
            with pytest.raises(Exception):
                while True:
                    got.append(await recv_json(ws, timeout=5))
            return got, ws.close_code

    got, code = asyncio.run(go())
    assert [m.get("seq") for m in got[:100]] == list(range(100))
    assert got[100]["type"] == "status" and got[100]["state"] == "ended" and code == 1001


def test_context_manager_serves_and_frees_the_port():
    with DashboardServer(ServerConfig(port=0)) as srv:
        port = srv.port
        assert http_get(srv.url, "/")[0] == 200
    with DashboardServer(ServerConfig(port=port)) as again:  # same port is free again at once
        assert again.port == port


def test_hello_set_before_start_is_sent_on_connect():
    srv = DashboardServer(ServerConfig(port=0))
    srv.set_hello(hello(model="early"))
    with srv:

        async def go():
            async with open_ws(srv.url) as ws:
                return await recv_json(ws)

        assert asyncio.run(go())["model"] == "early"
