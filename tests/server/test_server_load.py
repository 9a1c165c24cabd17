"""Bounded load on loopback: 50 WebSocket clients, 30 s of readings at 10 Hz, plus one slow and one
stalled client. Proves in-order delivery to every healthy client, reported drops for the slow one,
bounded server queues, and that a stalled client does not hold up the fan-out."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import statistics
import threading
import time

import pytest
from support.server_client import ws_url
from support.server_messages import hello, reading
from websockets.asyncio.client import connect

from streammsa.server import DashboardServer, ServerConfig

CLIENTS = 50
SECONDS = 30
RATE_HZ = 10
TOTAL = SECONDS * RATE_HZ
QUEUE = 32


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def _stalled_socket(port: int) -> socket.socket:
    """A client that completes the handshake and then never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


@pytest.mark.slow
def test_fifty_clients_thirty_seconds_with_a_slow_and_a_stalled_client():
    cfg = ServerConfig(
        port=0, client_queue_size=QUEUE, send_buffer_bytes=8192, max_clients_per_ip=CLIENTS + 5, close_timeout_s=1.0
    )
    server = DashboardServer(cfg)
    server.start()
    server.set_hello(hello())
    url = ws_url(server.url)
    published_at: dict[int, float] = {}
    samples: list[dict[str, int]] = []
    rss_before = _rss_kib()

    def publisher() -> None:
        start = time.perf_counter()
        for seq in range(TOTAL):
            # pace on an absolute schedule so the rate stays 10 Hz whatever publish costs
            delay = start + seq / RATE_HZ - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            published_at[seq] = time.perf_counter()
            server.publish(reading(seq, hop=1.0 / RATE_HZ))
            if seq % RATE_HZ == 0:
                samples.append(server.stats())

    async def healthy(out: list) -> None:
        async with connect(url, open_timeout=10, max_size=2**20) as ws:
            first = json.loads(await ws.recv())
            assert first["type"] == "hello"
            while True:
                msg = json.loads(await ws.recv())
                out.append((msg["type"], msg.get("seq"), time.perf_counter()))
                if msg.get("seq") == TOTAL - 1:
                    return

    async def slow(out: list) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
        async with connect(url, sock=sock, open_timeout=10, max_queue=1) as ws:
            await ws.recv()  # hello
            while True:
                msg = json.loads(await ws.recv())
                out.append(msg)
                if msg.get("seq") == TOTAL - 1:
                    return
                if published_at.get(TOTAL - 1) is None:
                    await asyncio.sleep(0.5)  # reads 2 messages/s while 10/s arrive

    async def main():
        results = [[] for _ in range(CLIENTS)]
        slow_out: list = []
        tasks = [asyncio.create_task(healthy(r)) for r in results]
        tasks.append(asyncio.create_task(slow(slow_out)))
        while server.client_count < CLIENTS + 1:
            await asyncio.sleep(0.05)
        stalled = _stalled_socket(server.port)
        await asyncio.sleep(0.3)
        feeder = threading.Thread(target=publisher)
        feeder.start()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=SECONDS + 60)
        feeder.join()
        stalled_stats = server.stats()
        stalled.close()
        return results, slow_out, stalled_stats

    try:
        results, slow_out, final = asyncio.run(main())
    finally:
        server.stop()

    # every healthy client got every reading, in order, with nothing dropped
    for got in results:
        assert [t for t, _, _ in got] == ["reading"] * TOTAL
        assert [seq for _, seq, _ in got] == list(range(TOTAL))

    # the slow client was told exactly how many it missed: received + reported drops = published
    slow_seqs = [m["seq"] for m in slow_out if m["type"] == "reading"]
    reported = [m for m in slow_out if m["type"] == "dropped"]
    assert slow_seqs == sorted(slow_seqs) and slow_seqs[-1] == TOTAL - 1
    assert reported and sum(m["count"] for m in reported) == reported[-1]["total"]
    assert len(slow_seqs) + reported[-1]["total"] == TOTAL

    # queues stayed bounded while the stalled client never read; it (and the slow one) lost readings
    assert max(s["max_queued"] for s in samples) <= QUEUE
    assert final["dropped_total"] > reported[-1]["total"]  # the stalled client's drops come on top

    delays = sorted((t - published_at[seq]) * 1000 for got in results for _, seq, t in got)
    p50, p95, worst = statistics.median(delays), delays[int(0.95 * len(delays))], delays[-1]
    rss_growth_mib = (_rss_kib() - rss_before) / 1024
    print(
        f"\nfan-out delay over {CLIENTS} clients x {TOTAL} readings with 1 slow + 1 stalled client: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms; slow client dropped {reported[-1]['total']}, "
        f"all clients dropped {final['dropped_total']}; max server queue {max(s['max_queued'] for s in samples)} "
        f"(limit {QUEUE}); process RSS growth {rss_growth_mib:.1f} MiB"
    )
    # A stalled client that blocked the fan-out would delay everyone by seconds, not a few hops.
    assert p95 < 1000.0
