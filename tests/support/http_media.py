"""A real HTTP server on loopback serving media files, with byte ranges and connections cut on purpose.

``MediaServer(root)`` serves the files under ``root`` at ``url(name)``; GET and HEAD honour
``Range: bytes=a-b`` (FFmpeg seeks with them). ``cut(name, fraction)`` makes the next response
that covers that byte offset stop there and drop the connection (a network cut mid-stream);
``fail_next(n)`` answers the next ``n`` requests with 503 (a server briefly down). ``requests``
records (path, range header, status, bytes sent) for each request.
"""

from __future__ import annotations

import http.server
import re
import threading
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up mid-response on purpose here (cuts, seeks): not worth a traceback


class MediaServer:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.requests: list[tuple[str, str | None, int, int]] = []
        self._cuts: dict[str, list[int]] = {}
        self._failures = 0
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="media-server", daemon=True)

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{name}"

    def cut(self, name: str, fraction: float) -> int:
        """Cut the connection once, at ``fraction`` of the file's bytes; returns the byte offset."""
        offset = int((self.root / name).stat().st_size * fraction)
        with self._lock:
            self._cuts.setdefault("/" + name, []).append(offset)
        return offset

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._failures = n

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                with server._lock:
                    failing = server._failures > 0
                    server._failures -= 1 if failing else 0
                path = self.path.split("?")[0]
                file = server.root / path.lstrip("/")
                if failing or not file.is_file():
                    status = 503 if failing else 404
                    server.requests.append((path, self.headers.get("Range"), status, 0))
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = file.read_bytes()
                start, end = 0, len(data) - 1
                rng = self.headers.get("Range")
                m = _RANGE.fullmatch(rng.strip()) if rng else None
                if m and (m.group(1) or m.group(2)):
                    if m.group(1):
                        start = int(m.group(1))
                        end = min(int(m.group(2)), end) if m.group(2) else end
                    else:  # bytes=-N: the last N bytes
                        start = max(0, len(data) - int(m.group(2)))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(end - start + 1))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                stop = end + 1
                if body:
                    with server._lock:
                        cuts = server._cuts.get(path, [])
                        hit = next((c for c in cuts if start < c <= end), None)
                        if hit is not None:
                            cuts.remove(hit)
                            stop = hit
                server.requests.append((path, rng, 206 if m else 200, stop - start if body else 0))
                if not body:
                    return
                try:
                    self.wfile.write(data[start:stop])
                    self.wfile.flush()
                except OSError:
                    return  # the client went away: nothing to finish
                if stop <= end:  # the cut: promised more than sent, and the line goes dead
                    self.close_connection = True
                    self.connection.shutdown(2)

        return Handler


def remux(src: Path, dst: Path, options: dict[str, str] | None = None) -> Path:
    """Copy ``src``'s audio and video packets into ``dst`` unchanged (no re-encoding), e.g. an mp4 with
    ``{"movflags": "faststart"}`` (index first: playable while it downloads), or ``.ts`` (MPEG-TS)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", options=options or {}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("audio", "video")}
        for packet in inp.demux(*[s for s in inp.streams if s.index in streams]):
            if packet.dts is None:
                continue  # the demuxer's flush packet
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst
