"""Small helpers for talking to a real DashboardServer over loopback in tests."""

from __future__ import annotations

import asyncio
import http.client
import json
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect


def ws_url(http_url: str, token: str | None = None) -> str:
    parts = urlsplit(http_url)
    return f"ws://{parts.netloc}/ws" + (f"?token={token}" if token else "")


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(ws: ClientConnection, type_: str, timeout: float = 5.0) -> dict:
    while True:
        msg = await recv_json(ws, timeout)
        if msg["type"] == type_:
            return msg


def open_ws(http_url: str, token: str | None = None, **kwargs):
    return connect(ws_url(http_url, token), open_timeout=5, close_timeout=2, **kwargs)


def http_get(http_url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(http_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()
