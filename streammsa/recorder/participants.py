"""The participants of a recorded meeting (``--participants``): who each participant stream is.

Each person of a meeting is read as its own stream ("p1", "p2", ...), announced by ``participant``
messages (``protocol.ParticipantEvent``); the room stream (``hello.streams``) carries the room's whole
transcript and no readings. A timeline without participant messages (a single-stream run) has none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# the states that say who the participant is made of; "renamed" and "left" keep the last pairing
_PAIRING_STATES = ("joined", "updated")


@dataclass
class Participant:
    stream: str
    name: str  # the latest: a user's rename wins over the default "Person N"
    voice: int | None  # diarized speaker id; None: never heard
    face: int | None  # face track id; None: never seen
    first_t: float  # stream time of its first participant message (normally "joined")
    last_t: float  # last seen: its latest joined/updated message, reading's window end or word's end
    left: bool  # its last joined/updated/left message was "left"
    left_t: float | None = None  # when it left (None: still there at the end)


def participants_mode(messages: Iterable[dict[str, Any]]) -> bool:
    """True for a run that read each person as their own stream (its hello says so, or participants appear)."""
    return any(
        m.get("type") == "participant" or (m.get("type") == "hello" and bool(m.get("participants"))) for m in messages
    )


def room_streams(messages: Iterable[dict[str, Any]]) -> set[str]:
    """The streams that are not participants: in participants mode, the room stream(s) of the hello."""
    msgs = list(messages)
    people = {str(m.get("stream")) for m in msgs if m.get("type") == "participant"}
    hello_streams = {str(s) for m in msgs if m.get("type") == "hello" for s in (m.get("streams") or [])}
    return hello_streams - people


def participants_of(messages: Iterable[dict[str, Any]]) -> list[Participant]:
    """The participants of a timeline's messages, in the order they first appeared."""
    msgs = list(messages)
    out: dict[str, Participant] = {}
    for m in msgs:
        if m.get("type") != "participant":
            continue
        stream, t = str(m.get("stream")), float(m.get("t") or 0.0)
        p = out.get(stream)
        if p is None:
            p = out[stream] = Participant(stream, str(m.get("name") or stream), None, None, t, t, False)
        state = m.get("state")
        if m.get("name"):
            p.name = str(m["name"])
        if state in _PAIRING_STATES:
            p.voice, p.face = m.get("voice"), m.get("face")
            p.first_t, p.last_t = min(p.first_t, t), max(p.last_t, t)
            p.left, p.left_t = False, None
        elif state == "left":  # decided a while after it was last seen: not a time it was there
            p.left, p.left_t = True, t
        # "renamed": a user's act, says nothing about when the person was there
    # read or heard after its last joined/updated message: there then
    for m in msgs:
        p = out.get(str(m.get("stream")))
        if p is None:
            continue
        if m.get("type") == "reading" and m.get("t_end") is not None:
            p.last_t = max(p.last_t, float(m["t_end"]))
        elif m.get("type") == "transcript" and m.get("kind") == "committed":
            ends = [float(w["end"]) for w in m.get("words") or [] if w.get("end") is not None]
            p.last_t = max([p.last_t, *ends, float(m.get("t_end") or 0.0)])
    return list(out.values())


def participant_names(messages: Iterable[dict[str, Any]]) -> dict[str, str]:
    """stream -> the participant's latest name; empty for a single-stream run."""
    return {p.stream: p.name for p in participants_of(messages)}
