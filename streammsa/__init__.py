"""streammsa: a real-time multimodal sentiment monitor (CACR and DBR models).

The Python API (docs/api.md)::

    import streammsa

    with streammsa.open_file("meeting.mp4", fast=True) as session:
        for message in session:
            if isinstance(message, streammsa.Reading):
                print(message.t_end, message.intensity)

``open_file``, ``open_url``, ``open_camera`` and ``open_push`` return a ``Session``; messages are the
protocol's classes (``Reading``, ``TranscriptEvent``, ``AlertEvent``, ``StatusEvent``, ``Hello``).
Importing ``streammsa`` is light: the pipeline (torch, PyAV, MediaPipe, ...) loads when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

MODALITIES: tuple[str, str, str] = ("text", "audio", "vision")
"""Canonical modality order (L, A, V) used by tensors, masks and messages everywhere."""

MODALITY_LABELS: dict[str, str] = {"text": "text", "audio": "voice", "vision": "face"}
"""What a person calls each modality (reports, subtitles, log lines)."""

INTENSITY_RANGE = 3.0
"""Sentiment intensity lies in [-INTENSITY_RANGE, +INTENSITY_RANGE] (MOSI's scale), overall and per modality."""

# name -> module; loaded on first attribute access (PEP 562), so `import streammsa` stays light
_EXPORTS: dict[str, str] = {
    # sessions
    "open_file": "streammsa.api",
    "open_url": "streammsa.api",
    "open_camera": "streammsa.api",
    "open_push": "streammsa.api",
    "Session": "streammsa.session",
    # messages (the WebSocket protocol and timeline.jsonl)
    "Message": "streammsa.protocol",
    "Hello": "streammsa.protocol",
    "Reading": "streammsa.protocol",
    "ModalityReading": "streammsa.protocol",
    "TranscriptEvent": "streammsa.protocol",
    "AlertEvent": "streammsa.protocol",
    "StatusEvent": "streammsa.protocol",
    "ParticipantEvent": "streammsa.protocol",
    "ErrorMessage": "streammsa.protocol",
    # the monitor underneath, for programs that wire their own runs
    "Monitor": "streammsa.monitor",
    "MonitorConfig": "streammsa.monitor",
    "DashboardConfig": "streammsa.monitor",
    "Components": "streammsa.monitor",
    "CollectingSink": "streammsa.monitor",
    "Sink": "streammsa.monitor",
    "RunResult": "streammsa.monitor",
    "replay_messages": "streammsa.monitor",
    "StreamBrokenError": "streammsa.monitor",
    "EngineConfig": "streammsa.engine.inference",
    "PushSource": "streammsa.capture.push",
    # errors: each carries one line saying what to do
    "StreamMSAError": "streammsa.errors",
    "UsageError": "streammsa.errors",
    "InputError": "streammsa.errors",
    "DeviceError": "streammsa.errors",
}

__all__ = ["MODALITIES", "__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'streammsa' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
