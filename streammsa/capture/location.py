"""Where media comes from: a file path or a network URL (``rtsp://``, ``rtmp://``, ``http(s)://`` incl. HLS).

``media_location(text)`` is the CLI's argument type (a URL stays a string: ``Path`` would fold
its ``//``); ``display_name(url)`` names a stream in messages without the password a URL may hold.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# what FFmpeg (through PyAV) opens as a network stream; file:// is a path in disguise
NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "hls", "srt", "udp", "rtp", "tcp"})
# streams with no end of their own: reconnecting continues the stream clock instead of seeking back
LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp", "rtp", "tcp"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def scheme_of(location: object) -> str | None:
    """The URL scheme in lower case, or None for a file path."""
    if not isinstance(location, str):
        return None
    m = _SCHEME.match(location)
    return m.group(1).lower() if m else None


def is_url(location: object) -> bool:
    """True for ``scheme://...`` strings other than ``file://`` (a network stream for PyAV)."""
    scheme = scheme_of(location)
    return scheme is not None and scheme != "file"


def media_location(text: str) -> str | Path:
    """Command-line argument type: a URL as typed, anything else a ``Path`` (``file://`` stripped)."""
    if scheme_of(text) == "file":
        return Path(urlsplit(text).path)
    return text if is_url(text) else Path(text)


def redact(url: str) -> str:
    """``url`` without a password (``rtsp://user:secret@host/`` -> ``rtsp://user:***@host/``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc}"))


def display_name(location: str | os.PathLike[str]) -> str:
    """A short name for messages and run folders: the file name, or the URL's host and last path part."""
    if not is_url(location):
        return Path(location).name
    parts = urlsplit(str(location))
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{parts.hostname or parts.scheme}{'/' + tail if tail else ''}"
