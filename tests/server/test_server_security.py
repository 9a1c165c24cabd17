"""Who gets in and what bad clients cannot do: token, Origin, Host, message size, per-IP limit,
bad JSON, abrupt disconnects. Every test checks the server still serves a good client afterwards."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time

import pytest
from support.server_client import http_get, open_ws, recv_json, recv_until, ws_url
from support.server_messages import hello, reading
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from streammsa.errors import UsageError
from streammsa.server import DashboardServer, ServerConfig

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def server():
    srv = DashboardServer(ServerConfig(port=0, token=TOKEN, max_clients_per_ip=3, max_message_bytes=1024))
    srv.start()
    srv.set_hello(hello())
    yield srv
    srv.stop()


async def _good_client_works(srv: DashboardServer) -> None:
    async with open_ws(srv.url, TOKEN) as ws:
        assert (await recv_json(ws))["type"] == "hello"
        await ws.send(json.dumps({"type": "ping", "id": "ok"}))
        assert (await recv_until(ws, "pong"))["id"] == "ok"


def _status_of(coro) -> int:
    with pytest.raises(InvalidStatus) as err:
        asyncio.run(coro)
    return err.value.response.status_code


async def _try(url: str, **kwargs) -> None:
    async with connect(url, open_timeout=5, **kwargs):
        pass


def test_non_loopback_bind_without_token_is_refused_at_start():
    with pytest.raises(UsageError, match="without a token: pass --token"):
        DashboardServer(ServerConfig(host="0.0.0.0", port=0)).start()


def test_short_token_is_refused():
    with pytest.raises(UsageError, match="at least 8"):
        DashboardServer(ServerConfig(port=0, token="abc")).start()


def test_port_in_use_is_a_clear_usage_error():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(UsageError, match=f"127.0.0.1:{port}.*--port"):
            DashboardServer(ServerConfig(port=port)).start()


def test_url_carries_the_token_so_the_page_can_pass_it_on(server):
    assert server.url == f"http://127.0.0.1:{server.port}/?token={TOKEN}"


def test_missing_or_wrong_token_is_401_and_right_token_works(server):
    assert _status_of(_try(ws_url(server.url))) == 401
    assert _status_of(_try(ws_url(server.url, "wrong-token-123"))) == 401
    asyncio.run(_try(ws_url(server.url), additional_headers={"Authorization": f"Bearer {TOKEN}"}))
    asyncio.run(_good_client_works(server))


def test_foreign_origin_is_403_same_origin_and_allowed_list_pass():
    srv = DashboardServer(ServerConfig(port=0, allowed_origins=["https://dash.example.org"]))
    with srv:
        url = ws_url(srv.url)
        assert _status_of(_try(url, origin="http://evil.example.com")) == 403
        assert _status_of(_try(url, origin=f"http://127.0.0.1:{srv.port + 1}")) == 403
        for ok in (f"http://127.0.0.1:{srv.port}", f"http://localhost:{srv.port}", "https://dash.example.org"):
            asyncio.run(_try(url, origin=ok))


def test_dns_rebinding_host_is_refused_on_loopback(server):
    assert http_get(server.url, "/", headers={"Host": f"attacker.example:{server.port}"})[0] == 421
    assert http_get(server.url, "/", headers={"Host": f"localhost:{server.port}"})[0] == 200


def test_invalid_json_and_unknown_types_get_errors_and_the_connection_stays_up(server):
    async def go():
        async with open_ws(server.url, TOKEN) as ws:
            await recv_json(ws)
            replies = []
            for bad in (
                "{not json",
                "[1,2]",
                json.dumps({"type": "shutdown"}),
                json.dumps({"type": "ping", "id": [1]}),
                json.dumps({"type": "subscribe", "streams": "all"}),
                json.dumps({"type": "rename", "stream": "p1", "name": "Ana"}),  # this server has no on_rename
            ):
                await ws.send(bad)
                replies.append(await recv_until(ws, "error"))
            await ws.send(b"\x00\x01")
            replies.append(await recv_until(ws, "error"))
            await ws.send(json.dumps({"type": "ping", "id": 7}))
            return replies, await recv_until(ws, "pong")

    replies, pong = asyncio.run(go())
    assert [r["code"] for r in replies] == [
        "invalid_json",
        "invalid_message",
        "unknown_type",
        "invalid_message",
        "invalid_message",
        "rename_unavailable",
        "binary_not_supported",
    ]
    assert replies[5]["message"] == "renaming is not available in this run"
    assert "expected one of ping, rename, subscribe" in replies[2]["message"]
    assert pong["id"] == 7


def test_oversized_message_closes_only_that_client(server):
    async def go():
        async with open_ws(server.url, TOKEN) as bystander:
            await recv_json(bystander)
            async with open_ws(server.url, TOKEN) as big:
                await recv_json(big)
                await big.send(json.dumps({"type": "ping", "id": "x" * 5000}))
                with pytest.raises(ConnectionClosed):
                    while True:
                        await recv_json(big)
                code = big.close_code
            server.publish(reading(1))
            got = await recv_until(bystander, "reading")
            return code, got

    code, got = asyncio.run(go())
    assert code == 1009 and got["seq"] == 1  # 1009 = message too big


def test_per_ip_limit_refuses_extra_connections_until_one_closes(server):
    async def go():
        held = [await connect(ws_url(server.url, TOKEN), open_timeout=5) for _ in range(3)]
        try:
            with pytest.raises(InvalidStatus) as err:
                await _try(ws_url(server.url, TOKEN))
            refused = err.value.response.status_code
        finally:
            await held.pop().close()
        await asyncio.sleep(0.2)
        await _try(ws_url(server.url, TOKEN))  # a slot is free again
        for ws in held:
            await ws.close()
        return refused

    assert asyncio.run(go()) == 429


def _raw_handshake(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


def test_abrupt_disconnects_mid_frame_and_mid_handshake_leave_the_server_serving(server):
    # half a masked text frame, then a TCP reset
    sock = _raw_handshake(server.port)
    payload = b'{"type":"ping","id":"cut"}'
    header = struct.pack("!BB", 0x81, 0x80 | len(payload)) + os.urandom(4)
    sock.sendall(header + payload[:5])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    # a handshake that stops after the request line
    half = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    half.sendall(b"GET /ws HTTP/1.1\r\n")
    half.close()
    # garbage instead of HTTP
    junk = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    junk.sendall(os.urandom(512))
    junk.close()

    # many clients vanishing while the server is sending to them
    async def vanish():
        for _ in range(10):
            ws = await connect(ws_url(server.url, TOKEN), open_timeout=5)
            ws.transport.abort()

    for seq in range(50):
        server.publish(reading(seq))
    asyncio.run(vanish())
    for seq in range(50, 100):
        server.publish(reading(seq))
    deadline = time.time() + 5
    while server.client_count and time.time() < deadline:
        time.sleep(0.05)
    assert server.client_count == 0 and not server.limiter.open  # every slot was released
    asyncio.run(_good_client_works(server))
