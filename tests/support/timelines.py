"""A recorded run folder made of real protocol messages, written by the real ``TimelineWriter``:
words with pauses and sentence ends, readings every hop (one revised after late words), an alert.

The values are test inputs chosen so that what a reader of the timeline must compute is known by
construction (e.g. every final reading of a span has the same value), not outputs of the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from streammsa.protocol import AlertEvent, Hello, Message, ModalityReading, Reading, StatusEvent, TranscriptEvent
from streammsa.recorder.timeline import TimelineWriter

# (word, start, end): "Hello there." | pause-free sentence end | "I am fine" | 1.0 s pause | "thanks so much"
WORDS: list[tuple[str, float, float]] = [
    ("Hello", 0.2, 0.6),
    ("there.", 0.7, 1.1),
    ("I", 1.3, 1.4),
    ("am", 1.4, 1.6),
    ("fine", 1.6, 2.0),
    ("thanks", 3.0, 3.5),
    ("so", 3.5, 3.7),
    ("much", 3.7, 4.2),
]
UTTERANCE_TEXTS = ["Hello there.", "I am fine", "thanks so much"]
OVERALL = 0.5  # the final overall reading of every window
AUDIO = -1.0  # the voice reading of every window
FIRST_EMISSION_OF_SEQ_1 = 2.9  # seq 1 was first emitted with this, then revised to OVERALL
VISION_ONLY_IN_SEQ = 2  # the face was seen in one window only, [0, 3] s: utterances 1 and 2 overlap it, 3 does not
VISION_VALUE = 1.5


@dataclass
class RecordedRun:
    out_dir: Path
    messages: list[Message] = field(default_factory=list)
    readings_by_seq: dict[int, Reading] = field(default_factory=dict)  # the final revision of each seq

    @property
    def timeline(self) -> Path:
        return self.out_dir / "timeline.jsonl"


def _reading(seq: int, overall: float, revision: int = 0, final: bool = True, trained: bool = True) -> Reading:
    t_end = seq + 1.0
    t_start = max(0.0, t_end - 4.0)
    words = " ".join(w for w, a, b in WORDS if a < t_end and b > t_start)
    vision = seq == VISION_ONLY_IN_SEQ
    return Reading(
        stream="meeting",
        seq=seq,
        t_start=t_start,
        t_end=t_end,
        intensity=overall,
        modalities={
            "text": ModalityReading(bool(words), overall if words else None, 0.3 if words else None, 0.4),
            "audio": ModalityReading(True, AUDIO, 0.2, 0.3),
            "vision": ModalityReading(vision, VISION_VALUE if vision else None, 0.1 if vision else None, 0.3),
        },
        transcript=words,
        alerts=["conflict:vision"] if seq == VISION_ONLY_IN_SEQ else [],
        latency_ms=120.0,
        model="cacr",
        trained=trained,
        revision=revision,
        final=final,
    )


def write_recorded_run(out_dir: Path, n_readings: int = 8, trained: bool = True) -> RecordedRun:
    """A run folder with ``timeline.jsonl`` only (what a run killed before its report leaves)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    run = RecordedRun(out_dir)
    hello = Hello(
        version="test",
        streams=["meeting"],
        model="cacr",
        trained=trained,
        presence={"text": True, "audio": True, "vision": True},
        thresholds={"conflict_raise": 1.2},
        window_s=4.0,
        hop_s=1.0,
    )
    run.messages.append(hello)
    run.messages.append(StatusEvent(stream="meeting", state="running", detail="meeting.mp4"))
    # the words commit in two pieces, the second after the readings that contain them went out
    first, second = WORDS[:5], WORDS[5:]
    run.messages.append(_words_event(first))
    run.messages.append(TranscriptEvent(stream="meeting", kind="partial", text="thanks so", t_start=3.0, t_end=3.7))
    for seq in range(n_readings):
        first_value = FIRST_EMISSION_OF_SEQ_1 if seq == 1 else OVERALL
        r = _reading(seq, first_value, final=seq != 1, trained=trained)
        run.messages.append(r)
        run.readings_by_seq[seq] = r
        if seq == 1:  # late words joined window 1: the model re-ran on it
            revised = _reading(seq, OVERALL, revision=1, final=True, trained=trained)
            run.messages.append(revised)
            run.readings_by_seq[seq] = revised
        if seq == VISION_ONLY_IN_SEQ:
            run.messages.append(
                AlertEvent(
                    stream="meeting",
                    alert_id="conflict-vision-1",
                    kind="conflict",
                    state="raised",
                    t=3.0,
                    modality="vision",
                    message="the face disagrees with the words and the voice",
                )
            )
        if seq == 4:
            run.messages.append(_words_event(second))
    run.messages.append(StatusEvent(stream="meeting", state="ended", t=float(n_readings)))
    w = TimelineWriter(run.timeline)
    for m in run.messages:
        w.publish(m)
    w.close()
    return run


def _words_event(words: list[tuple[str, float, float]]) -> TranscriptEvent:
    return TranscriptEvent(
        stream="meeting",
        kind="committed",
        text=" ".join(w for w, _, _ in words),
        t_start=words[0][1],
        t_end=words[-1][2],
        words=[{"w": w, "start": a, "end": b, "p": 0.9} for w, a, b in words],
    )
