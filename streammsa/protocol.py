"""The one schema for everything the monitor emits: over the WebSocket, into timeline.jsonl.

Every message is a JSON object with ``type`` and ``v`` (protocol version). The
engine builds these dataclasses; the recorder writes ``to_json()`` lines; the
dashboard hub broadcasts the same dicts. docs/protocol.md documents each field.
Client -> server messages: ``subscribe`` and ``ping`` (see streammsa.server).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

PROTOCOL_VERSION = 5  # 2: readings carry revision/final (revised when late words join them); 3: participants;
# 4: the conflict signal is a probability (Reading.disagreement; ModalityReading.disagreement: the odd one out);
# 5: the overall reading combines the model's with the modality readings (Reading.model_intensity: the model's)


def _clean(value: Any) -> Any:
    # JSON has no NaN/Inf: missing numbers go over the wire as null.
    if isinstance(value, float):
        return None if (math.isnan(value) or math.isinf(value)) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass
class Message:
    type: ClassVar[str] = "message"

    def to_dict(self) -> dict[str, Any]:
        body = _clean(dataclasses.asdict(self))
        return {"type": self.type, "v": PROTOCOL_VERSION, **body}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


@dataclass
class ModalityReading:
    """One modality inside a reading; every number is None when the modality is absent.

    ``confidence`` in [0, 1]: how much evidence the window holds for this modality (seconds of speech
    for the voice, share of frames with a face, number of words); None when unknown.
    ``disagreement`` in [0, 1]: with three modalities present, the probability that this one reads the
    opposite polarity of the other two, which agree (the odd one out); with two, the pair's probability
    of opposite polarities (``engine/disagreement.py``; names who disagrees in conflict alerts).
    ``conflict`` and ``weight``: CACR's C_m (mean cosine distance in the model's shared space, 0..2)
    and w_m (its reconstruction weight), kept as model diagnostics.
    """

    present: bool
    intensity: float | None
    conflict: float | None
    weight: float | None
    confidence: float | None = None
    disagreement: float | None = None


@dataclass
class Reading(Message):
    """One model output for one window of one stream.

    t_start/t_end: window bounds in seconds on the stream clock.
    intensity: overall sentiment intensity in [-3, 3].
    modalities: "text" / "audio" / "vision" -> ModalityReading.
    transcript: committed words inside the window.
    alerts: names of alerts active for this stream after this reading's first emission (alerts are
        decided once per reading, on its first emission; updates carry the same list).
    latency_ms: wall time from the window's end on the stream clock to the first emission.
    trained: False when the model is untrained (numbers are not sentiment then).
    revision: 0 on the first emission; +1 each time words committed later joined the window and the
        model re-ran on it (same ``seq``: a consumer replaces the earlier message of (stream, seq)).
    final: True when no more words can join the window (the text watermark passed its end); a reading
        first emitted with ``final=False`` is sent again with ``final=True`` once that happens.
    update_latency_ms: for a later message of the same seq (a revision or the final one), wall time
        from the window's end to that message; None on the first emission.
    disagreement: probability that two present modalities read opposite polarities (the conflict signal,
        ``engine/disagreement.py``); None with fewer than two modalities present.
    model_intensity: diagnostic, the fusion model's own (confidence-weighted) reading, before ``intensity``
        combines it with the modality readings (``engine/overall_reading.py``); None from older records.
    """

    type: ClassVar[str] = "reading"
    stream: str
    seq: int
    t_start: float
    t_end: float
    intensity: float
    modalities: dict[str, ModalityReading]
    transcript: str
    alerts: list[str]
    latency_ms: float
    model: str
    trained: bool
    revision: int = 0
    final: bool = True
    update_latency_ms: float | None = None
    disagreement: float | None = None
    model_intensity: float | None = None


@dataclass
class TranscriptEvent(Message):
    """ASR output. kind="partial" text may still change; "committed" text is final."""

    type: ClassVar[str] = "transcript"
    stream: str
    kind: Literal["partial", "committed"]
    text: str
    t_start: float
    t_end: float
    words: list[dict[str, Any]] = field(default_factory=list)  # {"w", "start", "end", "p"}


@dataclass
class AlertEvent(Message):
    """A conflict or sustained-negative alert that was raised or cleared, with its evidence."""

    type: ClassVar[str] = "alert"
    stream: str
    alert_id: str
    kind: Literal["conflict", "sustained_negative"]
    state: Literal["raised", "cleared"]
    t: float
    modality: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class StatusEvent(Message):
    """Source and pipeline health: state ("starting", "running", "degraded", "stalled", "retrying", "ended",
    "error"). "degraded": still running but behind (e.g. the recogniser cannot keep up, so words arrive
    late and readings get revised); ``detail`` says what, and the next status with another state ends it."""

    type: ClassVar[str] = "status"
    stream: str
    state: str
    detail: str = ""
    t: float = 0.0
    fps: float | None = None
    latency_ms: float | None = None
    drops: dict[str, int] = field(default_factory=dict)


@dataclass
class Hello(Message):
    """First message on every connection."""

    type: ClassVar[str] = "hello"
    version: str
    streams: list[str]
    model: str
    trained: bool
    presence: dict[str, bool]
    thresholds: dict[str, float]
    window_s: float
    hop_s: float
    history: int = 0  # how many past messages follow as replay for late joiners
    # True when the run reads each person of a meeting as their own stream (``--participants``): the
    # ``participant`` messages announce those streams; ``streams`` then holds the room stream only
    # (its status and its whole transcript, no readings)
    participants: bool = False


@dataclass
class ParticipantEvent(Message):
    """A person of a meeting (``--participants``): one voice and/or one face, read as its own ``stream``.

    state: "joined" (first heard or seen), "updated" (voice or face paired or changed), "left" (neither
    heard nor seen for a while; may join again under the same stream), "renamed" (``name`` set by a user).
    voice: the diarized speaker's id (None: not heard); face: the face track's id (None: not seen).
    """

    type: ClassVar[str] = "participant"
    stream: str
    name: str
    state: Literal["joined", "updated", "left", "renamed"]
    voice: int | None = None
    face: int | None = None
    t: float = 0.0


@dataclass
class ErrorMessage(Message):
    type: ClassVar[str] = "error"
    code: str
    message: str


@dataclass
class Dropped(Message):
    """Server -> one client: ``count`` messages (oldest readings first) were dropped because this
    client read too slowly; ``total`` is the running total for the connection."""

    type: ClassVar[str] = "dropped"
    count: int
    total: int


@dataclass
class Pong(Message):
    """Server -> client reply to ``ping``: echoes ``id``; ``server_time`` is Unix time in seconds."""

    type: ClassVar[str] = "pong"
    id: str | int | None
    server_time: float


@dataclass
class Subscribe(Message):
    """Client -> server: receive only these streams (None = all); the server answers with
    a fresh ``hello`` and the matching history."""

    type: ClassVar[str] = "subscribe"
    streams: list[str] | None = None


@dataclass
class Ping(Message):
    """Client -> server: liveness / round-trip check; answered with ``pong``."""

    type: ClassVar[str] = "ping"
    id: str | int | None = None


@dataclass
class Rename(Message):
    """Client -> server: give participant ``stream`` the display ``name`` (1-40 printable characters);
    every client and the recording get a ``participant`` message with state "renamed"."""

    type: ClassVar[str] = "rename"
    stream: str
    name: str


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.type: cls
    for cls in (Reading, TranscriptEvent, AlertEvent, StatusEvent, ParticipantEvent, Hello, ErrorMessage, Dropped, Pong)
}

CLIENT_MESSAGE_TYPES: dict[str, type[Message]] = {cls.type: cls for cls in (Subscribe, Ping, Rename)}
"""Messages a dashboard client may send to the server."""
