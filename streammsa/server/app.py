"""DashboardServer: the pipeline-facing object that runs the WebSocket hub and serves web/.

The server owns one asyncio loop in a background thread. ``publish`` is safe from any thread
and never blocks: it serialises the message and hands it to the loop with
``call_soon_threadsafe``; all fan-out and history work happens on the loop thread.
A client's ``rename`` is checked on the loop thread and handed to ``on_rename`` on a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from streammsa import log
from streammsa.errors import UsageError
from streammsa.protocol import CLIENT_MESSAGE_TYPES, ErrorMessage, Hello, Message, Pong
from streammsa.server.config import WS_PATH, ServerConfig
from streammsa.server.hub import ClientQueue, History, Hub, Outgoing
from streammsa.server.rename import UNAVAILABLE, parse_rename
from streammsa.server.security import IpLimiter, OriginPolicy, request_token, token_ok
from streammsa.server.static import file_response, json_response, text_response

logger = log.get("server")
# websockets reports every plain page request as a handshake that did not upgrade: keep it quiet.
ws_logger = log.get("server.ws")
ws_logger.setLevel(logging.WARNING)


class DashboardServer:
    """WebSocket hub + static page on one port. Use ``start()``/``stop()`` or ``with``.

    ``on_rename(stream, name)``: what a client's valid ``rename`` does (the monitor publishes a
    ``participant`` message with state "renamed"); None: clients are told renaming is not available.
    It runs on the server's one rename thread, in the order the renames came, never on the event
    loop: it may block briefly and may call ``publish``. If it raises, that client gets an ``error``.
    """

    def __init__(
        self, config: ServerConfig | None = None, *, on_rename: Callable[[str, str], None] | None = None
    ) -> None:
        self.config = config or ServerConfig()
        self.on_rename = on_rename
        self.hub = Hub(
            self.config.client_queue_size, History(self.config.history_seconds, self.config.history_max_messages)
        )
        self.limiter = IpLimiter(self.config.max_clients_per_ip)
        self.url: str | None = None
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._policy: OriginPolicy | None = None
        self._connections: set[ServerConnection] = set()
        self._rename_pool: ThreadPoolExecutor | None = None

    # ---- pipeline-facing API -------------------------------------------------------------
    def start(self) -> str:
        """Bind, start serving in a background thread, and return the one URL to open."""
        if self._thread is not None:
            raise UsageError("the dashboard server is already started")
        self.config.validate()
        self._ready.clear()
        self._start_error = None
        self._thread = threading.Thread(target=self._run, name="streammsa-dashboard", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=15):
            raise UsageError(f"the dashboard server did not start on {self.config.host}:{self.config.port} within 15 s")
        if self._start_error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise self._start_error
        self.url = self._make_url()
        logger.info("dashboard: %s", self.url)
        if self.config.open_browser:
            webbrowser.open(self.url)
        return self.url

    def set_hello(self, hello: Hello) -> None:
        """The stream and model description every client gets first (re-sent to connected clients)."""
        self._call(self.hub.set_hello, hello)

    def publish(self, message: Message) -> None:
        """Queue a message for every client and the history. Thread-safe; never blocks."""
        if isinstance(message, Hello):
            self.set_hello(message)
            return
        self._call(self.hub.broadcast, Outgoing.of(message))

    def stop(self) -> None:
        """Close every connection (1001 going away), stop the loop and join the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if self._stopping is not None:
            try:
                loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:  # loop already closed
                pass
        thread.join(timeout=self.config.close_timeout_s + 5)
        self._thread = None
        self._loop = None

    def __enter__(self) -> "DashboardServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def client_count(self) -> int:
        return len(self.hub.clients)

    def stats(self) -> dict[str, int]:
        """Queue health, read on the loop thread: clients, published, largest queue, drops so far."""
        loop = self._loop
        if loop is None:
            return {"clients": 0, "published": self.hub.published, "max_queued": 0, "dropped_total": 0}

        async def collect() -> dict[str, int]:
            clients = list(self.hub.clients)
            return {
                "clients": len(clients),
                "published": self.hub.published,
                "max_queued": max((len(c.live) for c in clients), default=0),
                "dropped_total": sum(c.dropped_total for c in clients),
            }

        return asyncio.run_coroutine_threadsafe(collect(), loop).result(timeout=5)

    # ---- loop thread -----------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None:
            if fn == self.hub.set_hello:  # remember the hello for when the server starts
                self.hub.hello = args[0]
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # loop closed between the check and the call: the server is stopping
            pass

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main(loop))
        except BaseException as exc:  # noqa: BLE001 - surfaced to start() rather than lost in a thread
            if not self._ready.is_set():
                self._start_error = exc
                self._ready.set()
            else:
                logger.exception("dashboard server crashed")
        finally:
            loop.close()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        cfg = self.config
        self._stopping = asyncio.Event()
        try:
            server = await serve(
                self._handle,
                cfg.host,
                cfg.port,
                process_request=self._process_request,
                compression=None,  # small JSON messages: per-client deflate would cost CPU per client
                max_size=cfg.max_message_bytes,
                max_queue=16,
                ping_interval=cfg.ping_interval_s,
                ping_timeout=cfg.ping_interval_s,
                close_timeout=cfg.close_timeout_s,
                server_header=None,
                logger=ws_logger,
            )
        except OSError as exc:
            hint = "another program (or dashboard) is using it" if exc.errno in (98, 48) else exc.strerror
            self._start_error = UsageError(
                f"cannot serve the dashboard on {cfg.host}:{cfg.port}: {hint}; "
                "pick another with --port (0 = any free port)"
            )
            self._ready.set()
            return
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        self._policy = OriginPolicy(cfg.host, self.port, cfg.allowed_origins)
        self._loop = loop
        self._rename_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="streammsa-rename")
        self._ready.set()
        await self._stopping.wait()
        # Graceful: give clients a moment to receive what was published before stop() (the final
        # "ended" status above all); a stalled client cannot hold this up for more than a second.
        deadline = loop.time() + min(1.0, cfg.close_timeout_s)
        while any(len(c) for c in self.hub.clients) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        server.close()  # closes open connections with 1001 and waits for their handlers
        try:
            await asyncio.wait_for(server.wait_closed(), timeout=cfg.close_timeout_s)
        except asyncio.TimeoutError:
            # A stalled client cannot even take the close frame: drop its TCP connection.
            for conn in list(self._connections):
                if conn.transport is not None:
                    conn.transport.abort()
            try:
                await asyncio.wait_for(server.wait_closed(), timeout=2)
            except asyncio.TimeoutError:
                logger.warning("dashboard: some connections did not close in time")
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        self._rename_pool.shutdown(wait=False, cancel_futures=True)  # a rename mid-call finishes on its own

    def _make_url(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        url = f"http://{host}:{self.port}/"
        if self.config.token:
            url += f"?token={quote(self.config.token)}"
        return url

    def _csp_connect(self, request: Request) -> str:
        host = request.headers.get("Host", "")
        return f"ws://{host} wss://{host}" if host else ""

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        assert self._policy is not None
        csp = self._csp_connect(request)
        host = request.headers.get("Host")
        if not self._policy.host_ok(host):
            return text_response(421, "unknown host: open the dashboard at the URL the server printed\n", csp)
        path = urlsplit(request.path).path
        is_upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if path != WS_PATH:
            if is_upgrade:
                return text_response(404, f"the WebSocket endpoint is {WS_PATH}\n", csp)
            if path == "/healthz":
                return json_response(
                    {"ok": True, "clients": len(self.hub.clients), "published": self.hub.published}, csp
                )
            return file_response(self.config.static_dir, request.path, csp)
        if not token_ok(self.config.token, request_token(request.path, request.headers)):
            return text_response(
                401, "missing or wrong token: open the URL the server printed (it carries ?token=)\n", csp
            )
        if not self._policy.origin_ok(request.headers.get("Origin"), host):
            return text_response(
                403,
                "origin not allowed: open the dashboard at the URL the server printed "
                "(other origins must be listed in ServerConfig.allowed_origins)\n",
                csp,
            )
        ip = str(connection.remote_address[0])
        if self.limiter.full(ip):
            return text_response(
                429, f"too many dashboard connections from {ip} (limit {self.config.max_clients_per_ip})\n", csp
            )
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        ip = str(ws.remote_address[0])
        if not self.limiter.acquire(ip):  # handshakes that raced past process_request
            await ws.close(1013, "too many connections from this address")
            return
        sock = ws.transport.get_extra_info("socket") if ws.transport is not None else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.config.send_buffer_bytes)
        client = self.hub.register()
        self._connections.add(ws)
        pump = asyncio.create_task(self._pump(ws, client))
        try:
            async for raw in ws:
                reply = self._reply(raw, client)
                if reply is not None:
                    client.put_control(reply.to_json())
        except ConnectionClosed:
            pass
        finally:
            self.hub.unregister(client)
            self._connections.discard(ws)
            self.limiter.release(ip)
            pump.cancel()

    async def _pump(self, ws: ServerConnection, client: ClientQueue) -> None:
        """Send this client's queue in order; only this task ever waits on this client's socket."""
        try:
            while True:
                text = client.pop()
                if text is None:
                    await client.ready.wait()
                    continue
                await ws.send(text)
        except ConnectionClosed:
            pass

    def _reply(self, raw: str | bytes, client: ClientQueue) -> Message | None:
        """Handle one client message; bad input gets an ``error`` and the connection stays up."""
        if isinstance(raw, bytes):
            return ErrorMessage(code="binary_not_supported", message="send JSON text frames")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            return ErrorMessage(code="invalid_json", message=f"message is not JSON: {exc.msg}")
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return ErrorMessage(code="invalid_message", message='a message is a JSON object with a "type"')
        kind = data["type"]
        if kind not in CLIENT_MESSAGE_TYPES:
            known = ", ".join(sorted(CLIENT_MESSAGE_TYPES))
            return ErrorMessage(
                code="unknown_type", message=f"unknown message type {kind[:40]!r}: expected one of {known}"
            )
        if kind == "ping":
            ping_id = data.get("id")
            if ping_id is not None and not isinstance(ping_id, (str, int)):
                return ErrorMessage(code="invalid_message", message="ping id must be a string or an integer")
            return Pong(id=ping_id, server_time=time.time())
        if kind == "rename":
            return self._rename(data, client)
        streams = data.get("streams")
        if streams is not None and not (isinstance(streams, list) and all(isinstance(s, str) for s in streams)):
            return ErrorMessage(
                code="invalid_message", message="subscribe.streams must be a list of stream ids or null"
            )
        self.hub.subscribe(client, streams)
        return None

    def _rename(self, data: dict[str, Any], client: ClientQueue) -> Message | None:
        """Check a ``rename`` (loop thread) and pass it to ``on_rename``; the broadcast it causes is the answer."""
        callback = self.on_rename
        if callback is None:
            return ErrorMessage(code="rename_unavailable", message=UNAVAILABLE)
        request = parse_rename(data, self.hub.history.participant_streams)
        if isinstance(request, ErrorMessage):
            return request
        assert self._rename_pool is not None and self._loop is not None
        loop = self._loop

        def done(future: Future[None]) -> None:  # worker thread: report a failure on the loop thread
            exc = None if future.cancelled() else future.exception()
            if exc is not None:
                logger.warning("renaming %s failed: %s", request.stream, exc)
                reply = ErrorMessage(code="rename_failed", message=f"could not rename {request.stream}: {exc}")
                try:
                    loop.call_soon_threadsafe(client.put_control, reply.to_json())
                except RuntimeError:  # the server stopped meanwhile: nobody to tell
                    pass

        try:
            future = self._rename_pool.submit(callback, request.stream, request.name)
        except RuntimeError:  # the pool shut down: the server is stopping
            return ErrorMessage(code="rename_unavailable", message="the server is stopping")
        future.add_done_callback(done)
        return None
