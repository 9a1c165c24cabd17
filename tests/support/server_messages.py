"""Builders for real protocol messages used by the dashboard and server tests.

The values follow a fixed, seeded pattern so tests can assert exact DOM text; they are
test inputs, not model outputs.
"""

from __future__ import annotations

import dataclasses
import math

from streammsa import MODALITIES
from streammsa.engine.disagreement import disagreement
from streammsa.protocol import AlertEvent, Hello, ModalityReading, Reading, StatusEvent, TranscriptEvent


def hello(trained: bool = False, streams: tuple[str, ...] = ("meeting",), model: str = "cacr") -> Hello:
    return Hello(
        version="0.1.0",
        streams=list(streams),
        model=model,
        trained=trained,
        presence={"text": True, "audio": True, "vision": True},
        thresholds={"conflict": 0.8, "sustained_negative": -1.0, "sustained_s": 10.0},
        window_s=4.0,
        hop_s=1.0,
    )


def reading(
    seq: int,
    intensity: float | None = None,
    stream: str = "meeting",
    hop: float = 1.0,
    vision_present: bool = True,
    trained: bool = True,
) -> Reading:
    t_end = 4.0 + seq * hop
    if intensity is None:
        intensity = round(2.2 * math.sin(seq / 9.0) + 0.4 * math.sin(seq / 2.3), 3)
    mods = {}
    for i, name in enumerate(MODALITIES):
        present = vision_present or name != "vision"
        value = round(intensity + 0.6 * math.sin(seq / 3.0 + 2.0 * i), 3)
        conflict = round(0.25 + 0.2 * (1 + math.sin(seq / 5.0 + i)), 3)
        weight = round(math.exp(-conflict / 0.5), 3)
        mods[name] = ModalityReading(
            present=present,
            intensity=value if present else None,
            conflict=conflict if present else None,
            weight=weight if present else None,
            confidence=1.0 if present else None,
        )
    dis = disagreement(mods)  # as the monitor computes them from these readings
    for name, d in dis.by_modality.items():
        mods[name].disagreement = d
    return Reading(
        stream=stream,
        seq=seq,
        t_start=t_end - 4.0,
        t_end=t_end,
        intensity=intensity,
        modalities=mods,
        transcript="",
        alerts=[],
        latency_ms=180.0 + (seq % 7) * 11.0,
        model="cacr",
        trained=trained,
        disagreement=dis.window,
        model_intensity=round(intensity / 2, 3),  # the fusion model's own reading (protocol 5): any other number
    )


def transcript(
    text: str, t_start: float, t_end: float, kind: str = "committed", stream: str = "meeting"
) -> TranscriptEvent:
    return TranscriptEvent(stream=stream, kind=kind, text=text, t_start=t_start, t_end=t_end)


def alert(alert_id: str, state: str, t: float, stream: str = "meeting", modality: str | None = "vision") -> AlertEvent:
    return AlertEvent(
        stream=stream,
        alert_id=alert_id,
        kind="conflict",
        state=state,
        t=t,
        modality=modality,
        message="The face disagrees with the words and the voice: "
        "probability of opposite polarities > 0.6 for 3 windows",
        # the shape streammsa.engine.alerts writes: the windows that raised it, plus the trained flag
        evidence={
            "windows": [
                {
                    "seq": 10 + i,
                    "t_end": t - 2 + i,
                    "disagreement": 0.82 - 0.01 * i,
                    "odd_one_out": 0.52 - 0.01 * i,
                    "intensity": -1.4,
                    "others_intensity": 1.6,
                    "overall": 0.6,
                }
                for i in range(3)
            ],
            "trained": True,
        },
    )


def status(state: str, t: float = 0.0, stream: str = "meeting", detail: str = "") -> StatusEvent:
    return StatusEvent(stream=stream, state=state, detail=detail, t=t, fps=25.0, latency_ms=190.0, drops={"video": 0})


def revised(r: Reading, revision: int, final: bool, text: float | None, intensity: float | None = None) -> Reading:
    """A later message of reading ``r`` (same stream and seq): late words gave its text reading ``text``."""
    mods = dict(r.modalities)
    mods["text"] = (
        ModalityReading(True, text, 0.42, 0.61) if text is not None else ModalityReading(False, None, None, None)
    )
    return dataclasses.replace(
        r,
        intensity=r.intensity if intensity is None else intensity,
        modalities=mods,
        transcript="the numbers are bad" if text is not None else r.transcript,
        revision=revision,
        final=final,
        update_latency_ms=2000.0 + 100.0 * revision,
    )
