"""Recogniser steps -> ``protocol.TranscriptEvent`` messages (what the dashboard and timeline show)."""

from __future__ import annotations

from streammsa.asr.recogniser import ASRStep
from streammsa.asr.words import CommittedWord, TimedWord, join_words
from streammsa.protocol import TranscriptEvent


def step_events(step: ASRStep, stream: str = "main") -> list[TranscriptEvent]:
    """TranscriptEvents for one step: "committed" (if any) then "partial" (always: an empty
    partial clears the previous one on the dashboard)."""
    events = []
    if step.committed:
        events.append(transcript_event(stream, "committed", step.committed))
    events.append(transcript_event(stream, "partial", step.partial))
    return events


def transcript_event(stream: str, kind: str, words: list[CommittedWord] | list[TimedWord]) -> TranscriptEvent:
    dicts = [
        w.to_dict() if isinstance(w, CommittedWord) else {"w": w.text.strip(), "start": w.start, "end": w.end, "p": w.p}
        for w in words
    ]
    t0 = words[0].start if words else 0.0
    t1 = words[-1].end if words else 0.0
    return TranscriptEvent(
        stream=stream,
        kind=kind,
        text=join_words(words),
        t_start=t0,
        t_end=t1,
        words=dicts,  # type: ignore[arg-type]
    )
