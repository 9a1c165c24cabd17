"""Serve the dashboard page (web/) over plain HTTP on the WebSocket port."""

from __future__ import annotations

import email.utils
import http
import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Response

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def _headers(content_type: str, length: int, csp_connect: str) -> Headers:
    return Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Type", content_type),
            ("Content-Length", str(length)),
            ("Cache-Control", "no-store"),  # a restarted server may ship a newer page
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),  # the page URL may carry the token
            (
                "Content-Security-Policy",
                f"default-src 'self'; connect-src 'self' {csp_connect}; img-src 'self' data:; "
                "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        ]
    )


def text_response(status: int, text: str, csp_connect: str = "") -> Response:
    body = text.encode()
    st = http.HTTPStatus(status)
    return Response(st.value, st.phrase, _headers("text/plain; charset=utf-8", len(body), csp_connect), body)


def json_response(payload: dict, csp_connect: str = "") -> Response:
    body = json.dumps(payload).encode()
    return Response(200, "OK", _headers("application/json", len(body), csp_connect), body)


def file_response(root: Path, path: str, csp_connect: str) -> Response:
    """200 with the file under ``root`` named by the URL path, or 404; never escapes ``root``."""
    rel = unquote(urlsplit(path).path).lstrip("/") or "index.html"
    root = root.resolve()
    target = (root / rel).resolve()
    if root not in target.parents or not target.is_file() or target.suffix not in CONTENT_TYPES:
        return text_response(404, "not found\n", csp_connect)
    body = target.read_bytes()  # small files: a blocking read is cheaper than a thread hop
    return Response(200, "OK", _headers(CONTENT_TYPES[target.suffix], len(body), csp_connect), body)
