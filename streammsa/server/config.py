"""ServerConfig: every knob of the dashboard server in one typed place (CLI flags map onto it)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from streammsa.errors import UsageError
from streammsa.paths import web_dir

DEFAULT_STATIC_DIR = web_dir()  # the checkout's web/, or the copy an installed wheel carries
WS_PATH = "/ws"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; hostnames other than localhost count as exposed."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765  # 0 = any free port (the real one is in the URL start() returns)
    token: str | None = None  # required when host is not loopback
    allowed_origins: list[str] = field(default_factory=list)  # extra Origins, e.g. "https://proxy.example:443"
    history_seconds: float = 600.0  # late joiners get this much of each stream's clock
    history_max_messages: int = 10_000  # hard cap on the history, whatever the clock says
    max_clients_per_ip: int = 16
    max_message_bytes: int = 4096  # client -> server messages are tiny (subscribe, ping, rename)
    client_queue_size: int = 256  # per client; on overflow the oldest readings are dropped
    # Kernel send buffer per client. Left to autotuning, loopback buffers grow to megabytes, so a
    # stalled client would hide minutes of readings in the kernel instead of being told it missed them.
    send_buffer_bytes: int = 65536
    open_browser: bool = False
    static_dir: Path = DEFAULT_STATIC_DIR
    ping_interval_s: float = 20.0  # WebSocket keepalive: dead peers are closed after interval + timeout
    close_timeout_s: float = 5.0

    def validate(self) -> None:
        """Raise UsageError with the fix when the configuration is unsafe or impossible."""
        if not 0 <= self.port <= 65535:
            raise UsageError(f"dashboard port {self.port} is out of range: use 0-65535 (0 = any free port)")
        if not is_loopback(self.host) and not self.token:
            raise UsageError(
                f"refusing to serve the dashboard on non-loopback address {self.host!r} without a token: "
                "pass --token SECRET (or bind to 127.0.0.1)"
            )
        if self.token is not None and len(self.token) < 8:
            raise UsageError("dashboard token is too short: use at least 8 characters")
        for name in (
            "history_max_messages",
            "max_clients_per_ip",
            "max_message_bytes",
            "client_queue_size",
            "send_buffer_bytes",
        ):
            if getattr(self, name) < 1:
                raise UsageError(f"dashboard {name} must be at least 1, got {getattr(self, name)}")
        if self.history_seconds < 0:
            raise UsageError(f"dashboard history_seconds must be >= 0, got {self.history_seconds}")
        if not (Path(self.static_dir) / "index.html").is_file():
            raise UsageError(
                f"dashboard page not found at {self.static_dir}/index.html: reinstall streammsa from the source tree"
            )
