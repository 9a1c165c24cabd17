"""The ``rename`` client message: check it names a known participant and a usable display name."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from streammsa.protocol import ErrorMessage

NAME_MAX = 40  # characters (code points), after stripping; Rename's documented limit
UNAVAILABLE = "renaming is not available in this run"


@dataclass(frozen=True)
class RenameRequest:
    stream: str
    name: str


def parse_rename(data: dict[str, Any], participants: Collection[str]) -> RenameRequest | ErrorMessage:
    """The request to pass on, or the ``error`` to answer; ``participants``: streams announced so far."""
    stream, name = data.get("stream"), data.get("name")
    if not isinstance(stream, str) or not stream:
        return ErrorMessage(code="invalid_message", message="rename.stream must be a participant's stream id")
    if stream not in participants:
        known = ", ".join(sorted(participants)[:12]) or "none yet"
        return ErrorMessage(
            code="unknown_participant", message=f"no participant stream {stream[:40]!r} in this run (known: {known})"
        )
    if not isinstance(name, str):
        return ErrorMessage(code="invalid_message", message="rename.name must be a string")
    name = name.strip()
    if not name:
        return ErrorMessage(code="invalid_name", message="a name cannot be empty")
    if len(name) > NAME_MAX:
        return ErrorMessage(code="invalid_name", message=f"a name has at most {NAME_MAX} characters, got {len(name)}")
    if not name.isprintable():  # no control characters or line breaks: names go into one-line labels and CSVs
        return ErrorMessage(code="invalid_name", message="a name may hold printable characters only")
    return RenameRequest(stream=stream, name=name)
