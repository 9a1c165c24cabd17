"""Picking messages out of a run's timeline (as ``read_timeline`` or ``ReplayRun.messages`` give them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streammsa.recorder.readings import latest_readings


def of_type(messages: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


def readings_of(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One reading per window, its last revision (what the CSV and report use); every message: ``of_type``."""
    return latest_readings(messages)


def participant_streams(messages: list[dict]) -> dict[str, dict]:
    """Each participant stream's latest ``participant`` message (merged ones included, as they last stood)."""
    out: dict[str, dict] = {}
    for m in messages:
        if m["type"] == "participant":
            out[m["stream"]] = m
    return out
