"""ServerConfig rules: what counts as loopback, and unsafe or impossible settings fail with the fix in the message."""

from __future__ import annotations

import pytest

from streammsa.errors import UsageError
from streammsa.server.config import ServerConfig, is_loopback


def test_defaults_are_loopback_port_8765_without_token_and_valid():
    cfg = ServerConfig()
    assert (cfg.host, cfg.port, cfg.token, cfg.open_browser) == ("127.0.0.1", 8765, None, False)
    cfg.validate()


def test_non_loopback_with_a_token_is_valid():
    ServerConfig(host="0.0.0.0", token="long-enough-token").validate()


@pytest.mark.parametrize(
    "host,loop",
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("::", False),
        ("myhost.lan", False),
    ],
)
def test_loopback_detection(host, loop):
    assert is_loopback(host) is loop


@pytest.mark.parametrize(
    "cfg,fix",
    [
        (ServerConfig(host="192.168.1.5"), "pass --token"),
        (ServerConfig(port=70000), "0-65535"),
        (ServerConfig(client_queue_size=0), "client_queue_size must be at least 1"),
        (ServerConfig(history_seconds=-1), "history_seconds must be >= 0"),
    ],
)
def test_bad_configs_raise_usage_errors_that_say_what_to_do(cfg, fix):
    with pytest.raises(UsageError, match=fix):
        cfg.validate()
