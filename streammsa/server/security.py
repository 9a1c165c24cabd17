"""Who may connect: token, Origin and Host checks, and the per-IP connection count."""

from __future__ import annotations

import hmac
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers

from streammsa.server.config import is_loopback

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def request_token(path: str, headers: Headers) -> str | None:
    """Token from ``?token=`` (what browsers can send) or ``Authorization: Bearer`` (scripts)."""
    values = parse_qs(urlsplit(path).query).get("token")
    if values:
        return values[0]
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def token_ok(expected: str | None, given: str | None) -> bool:
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


class OriginPolicy:
    """Same-origin by default, plus an explicit allow-list.

    On a loopback bind the accepted hosts are the loopback names at the server's port, checked
    against both Origin and Host so a page on another site cannot reach the dashboard through DNS
    rebinding. On a non-loopback bind (token required anyway) the page's own Host is accepted.
    A missing Origin means a non-browser client: it is let through (the token still applies).
    """

    def __init__(self, bind_host: str, port: int, allowed_origins: list[str]) -> None:
        self.loopback = is_loopback(bind_host)
        self.port = port
        hosts = list(LOOPBACK_NAMES) if self.loopback else [bind_host if ":" not in bind_host else f"[{bind_host}]"]
        self.hosts = {f"{h}:{port}".lower() for h in hosts}
        self.allowed = {o.rstrip("/").lower() for o in allowed_origins}

    def host_ok(self, host_header: str | None) -> bool:
        if not self.loopback:
            return True  # the token guards exposed binds; their public names are not known here
        return host_header is not None and host_header.lower() in self.hosts

    def origin_ok(self, origin: str | None, host_header: str | None) -> bool:
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        if origin in self.allowed:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        netloc = parts.netloc if parts.port else f"{parts.netloc}:{443 if parts.scheme == 'https' else 80}"
        if netloc in self.hosts:
            return True
        return not self.loopback and host_header is not None and netloc == host_header.lower()


class IpLimiter:
    """Open WebSocket connections per remote address."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: Counter[str] = Counter()

    def full(self, ip: str) -> bool:
        return self.open[ip] >= self.limit

    def acquire(self, ip: str) -> bool:
        if self.full(ip):
            return False
        self.open[ip] += 1
        return True

    def release(self, ip: str) -> None:
        self.open[ip] -= 1
        if self.open[ip] <= 0:
            del self.open[ip]
