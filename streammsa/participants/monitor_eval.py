"""A constructed meeting replayed through the whole monitor (``--participants``), scored against its truth.

What a user gets, end to end: how many participants the run ended with, how many of the recogniser's
committed words reached the right person's stream (a word belongs to whoever speaks most during it; a
participant stream maps one-to-one to the person it shares most speech with, by its words; a word left
on the room stream only counts as wrong), and how late the readings were (first emission, and final:
once the person's voice and words were in).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streammsa.participants.metrics import WordAttribution, word_attribution
from streammsa.participants.truth import MeetingTruth, Segment


@dataclass
class MonitorMeetingResult:
    name: str
    mode: str  # "fast" | "paced"
    people: int
    participants: int  # participant streams the run ended with
    heard_and_seen: int  # of them, with a voice and a face
    words: WordAttribution
    latency_ms: tuple[float, float]  # first emission p50, p95
    final_latency_ms: tuple[float, float] | None  # paced: the final message, p50, p95
    wall_s: float
    audio_s: float


def evaluate_through_monitor(folder: Path, fast: bool = True, components=None) -> MonitorMeetingResult:
    from streammsa.monitor import MonitorConfig, replay_messages

    truth = MeetingTruth.load(folder)
    t0 = time.perf_counter()
    run = replay_messages(folder / truth.media, config=MonitorConfig(participants=0), fast=fast, components=components)
    wall = time.perf_counter() - t0
    msgs = run.messages
    latest: dict[str, dict] = {}
    for m in msgs:
        if m["type"] == "participant":
            latest[m["stream"]] = m
    # (nobody leaves these meetings: a stream that "left" was merged into another person's)
    streams = {s: m for s, m in latest.items() if m["state"] != "left"}
    room_words = [
        (w["start"], w["end"])
        for m in msgs
        if m["type"] == "transcript" and m["kind"] == "committed" and m["stream"] == "main"
        for w in m["words"]
    ]
    hypothesis = [
        Segment(m["stream"], w["start"], max(w["end"], w["start"] + 0.01))
        for m in msgs
        if m["type"] == "transcript" and m["kind"] == "committed" and m["stream"] != "main"
        for w in m["words"]
    ]
    words = word_attribution(room_words, truth.segments, hypothesis, truth.duration)
    first = [m["latency_ms"] for m in msgs if m["type"] == "reading" and m["revision"] == 0]
    final = [m["update_latency_ms"] for m in msgs if m["type"] == "reading" and m["final"] and m["update_latency_ms"]]
    return MonitorMeetingResult(
        truth.name,
        "fast" if fast else "paced",
        len(truth.speakers),
        len(streams),
        sum(1 for m in streams.values() if m["voice"] is not None and m["face"] is not None),
        words,
        _p50_p95(first),
        _p50_p95(final) if final and not fast else None,
        wall,
        truth.duration,
    )


def _p50_p95(values: list[float]) -> tuple[float, float]:
    if not values:
        return (float("nan"), float("nan"))
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


COLUMNS = (
    "meeting",
    "mode",
    "people",
    "found",
    "seen+heard",
    "words",
    "n_words",
    "lat50",
    "lat95",
    "final50",
    "final95",
)
WIDTHS = (22, 6, 6, 5, 10, 6, 7, 6, 6, 7, 7, 5)


def table(results: list[MonitorMeetingResult]) -> str:
    """Fixed-width table: words in percent, latencies in ms, x_rt = audio seconds per wall second."""
    rows = [[*COLUMNS, "x_rt"]]
    for r in results:
        fin = r.final_latency_ms
        rows.append(
            [
                r.name,
                r.mode,
                str(r.people),
                str(r.participants),
                str(r.heard_and_seen),
                f"{100 * r.words.accuracy:.1f}",
                str(r.words.words),
                f"{r.latency_ms[0]:.0f}",
                f"{r.latency_ms[1]:.0f}",
                f"{fin[0]:.0f}" if fin else "-",
                f"{fin[1]:.0f}" if fin else "-",
                f"{r.audio_s / r.wall_s:.2f}",
            ]
        )
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, WIDTHS)) for row in rows)
