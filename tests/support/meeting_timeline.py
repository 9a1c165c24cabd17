"""A recorded two-person meeting (``--participants``) made of real protocol messages, written by the real
``TimelineWriter``: the room stream "main" with the room's whole transcript (an unattributed "um"
included), participants p1 and p2 with their readings (one revised), their committed words, p1 renamed
"Alice", one alert on p2, and p2 leaving.

The values are test inputs chosen so that what a reader of the timeline must compute is known by
construction (listed below as the expected numbers), not outputs of the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from streammsa.protocol import (
    AlertEvent,
    Hello,
    Message,
    ModalityReading,
    ParticipantEvent,
    Reading,
    StatusEvent,
    TranscriptEvent,
)
from streammsa.recorder.timeline import TimelineWriter

ROOM = "main"
ABSENT = ModalityReading(False, None, None, None)

# (word, start, end) per participant; the room hears them all, and "um" nobody is heard saying
P1_WORDS = [
    ("Good", 0.2, 0.5),
    ("morning", 0.5, 0.9),
    ("everyone.", 0.9, 1.4),
    ("We", 3.0, 3.2),
    ("shipped", 3.2, 3.6),
    ("it.", 3.6, 4.0),
]
P2_WORDS = [("Hi.", 2.0, 2.3), ("Great", 4.5, 4.7), ("news.", 4.7, 5.0)]
UNATTRIBUTED = [("um", 2.6, 2.8)]
UTTERANCES = [  # (name, words) in stream-time order
    ("Alice", "Good morning everyone."),
    ("Person 2", "Hi."),
    ("Alice", "We shipped it."),
    ("Person 2", "Great news."),
]

# per reading of p1: (overall, text confidence or None: no words, voice confidence, face confidence or None)
P1_READINGS = [
    (0.5, 0.6, 0.9, None),
    (1.0, 0.6, 0.9, 0.5),
    (-0.5, 0.6, 0.6, 0.5),  # first emitted as P1_SEQ2_FIRST, without its words; revised to this
    (0.0, 0.6, 0.6, 0.5),
    (-1.5, None, 0.9, 0.5),
    (1.0, None, 0.9, 0.5),
]
P1_SEQ2_FIRST = 2.0  # above every final value: a report that counts it gets the max wrong
P2_READINGS = [
    (-1.0, 0.3, 0.7, 0.9),
    (-2.0, None, 0.7, 0.9),
    (0.5, None, None, 0.6),
]


@dataclass
class MeetingRun:
    out_dir: Path
    messages: list[Message] = field(default_factory=list)

    @property
    def timeline(self) -> Path:
        return self.out_dir / "timeline.jsonl"


def _window(stream: str, seq: int) -> tuple[float, float]:
    # p2 joined later: its windows end one hop after p1's of the same seq
    t_end = seq + (1.0 if stream == "p1" else 2.0)
    return max(0.0, t_end - 4.0), t_end


def _reading(stream: str, seq: int, values: tuple, revision: int = 0, final: bool = True) -> Reading:
    overall, text, voice, face = values
    t_start, t_end = _window(stream, seq)
    words = P1_WORDS if stream == "p1" else P2_WORDS
    spoken = " ".join(w for w, a, b in words if a < t_end and b > t_start) if text is not None else ""
    return Reading(
        stream=stream,
        seq=seq,
        t_start=t_start,
        t_end=t_end,
        intensity=overall,
        modalities={
            "text": ModalityReading(True, overall, 0.3, 0.4, text) if text is not None else ABSENT,
            "audio": ModalityReading(True, -0.2, 0.2, 0.3, voice) if voice is not None else ABSENT,
            "vision": ModalityReading(True, 0.4, 0.1, 0.3, face) if face is not None else ABSENT,
        },
        transcript=spoken,
        alerts=["sustained_negative"] if (stream, seq) == ("p2", 1) else [],
        latency_ms=150.0,
        model="cacr",
        trained=True,
        revision=revision,
        final=final,
    )


def _words(stream: str, words: list[tuple[str, float, float]]) -> TranscriptEvent:
    return TranscriptEvent(
        stream=stream,
        kind="committed",
        text=" ".join(w for w, _, _ in words),
        t_start=words[0][1],
        t_end=words[-1][2],
        words=[{"w": w, "start": a, "end": b, "p": 0.9} for w, a, b in words],
    )


def _room(words: list[tuple[str, float, float]]) -> TranscriptEvent:
    return _words(ROOM, sorted(words, key=lambda w: w[1]))


def write_meeting_run(out_dir: Path) -> MeetingRun:
    """A run folder with ``timeline.jsonl`` only, as a ``--participants`` run records it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    run = MeetingRun(out_dir)
    add = run.messages.append
    add(
        Hello(
            version="test",
            streams=[ROOM],
            model="cacr",
            trained=True,
            presence={"text": True, "audio": True, "vision": True},
            thresholds={},
            window_s=4.0,
            hop_s=1.0,
            participants=True,
        )
    )
    add(StatusEvent(stream=ROOM, state="running", detail="meeting.mp4"))
    add(ParticipantEvent(stream="p1", name="Person 1", state="joined", voice=0, face=None, t=0.0))
    add(ParticipantEvent(stream="p2", name="Person 2", state="joined", voice=1, face=3, t=0.5))
    add(ParticipantEvent(stream="p1", name="Person 1", state="updated", voice=0, face=2, t=1.0))
    add(TranscriptEvent(stream=ROOM, kind="partial", text="Good morning", t_start=0.2, t_end=0.9))
    add(_room(P1_WORDS[:3] + P2_WORDS[:1] + UNATTRIBUTED))
    add(_words("p1", P1_WORDS[:3]))
    add(_words("p2", P2_WORDS[:1]))
    for seq in range(3):
        first = P1_READINGS[seq] if seq != 2 else (P1_SEQ2_FIRST, None, 0.6, 0.5)
        add(_reading("p1", seq, first, final=seq != 2))
        add(_reading("p2", seq, P2_READINGS[seq]))
        if seq == 1:
            add(AlertEvent("p2", "sustained-p2-1", "sustained_negative", "raised", 3.0, None, "p2 negative for 2 s"))
    add(ParticipantEvent(stream="p1", name="Alice", state="renamed", voice=0, face=2, t=2.5))
    add(_reading("p1", 2, P1_READINGS[2], revision=1, final=True))  # its words joined late
    add(AlertEvent("p2", "sustained-p2-1", "sustained_negative", "cleared", 4.0, None, "p2 back above the threshold"))
    add(_room(P1_WORDS[3:] + P2_WORDS[1:]))
    add(_words("p1", P1_WORDS[3:]))
    add(_words("p2", P2_WORDS[1:]))
    for seq in range(3, len(P1_READINGS)):
        add(_reading("p1", seq, P1_READINGS[seq]))
    add(ParticipantEvent(stream="p2", name="Person 2", state="left", voice=1, face=3, t=6.0))
    add(StatusEvent(stream=ROOM, state="ended", t=6.0))
    w = TimelineWriter(run.timeline)
    for m in run.messages:
        w.publish(m)
    w.close()
    return run
