"""What a constructed meeting really holds: who speaks when, where each face is, what is said."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Segment:
    person: str
    start: float
    end: float


@dataclass
class MeetingTruth:
    name: str
    media: str  # file name of the meeting's media, beside truth.json
    duration: float
    people: list[str]  # everyone in the meeting
    tiles: dict[str, list[float]] = field(default_factory=dict)  # person -> normalised (x0, y0, x1, y1) on screen
    segments: list[Segment] = field(default_factory=list)  # reference speech
    texts: list[dict] = field(default_factory=list)  # {person, start, end, text} per placed utterance
    language: str = "en"
    spec: dict = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        return sorted({s.person for s in self.segments})

    def person_at(self, x: float, y: float) -> str | None:
        """Whose tile holds the normalised point (x, y)."""
        for person, (x0, y0, x1, y1) in self.tiles.items():
            if x0 <= x < x1 and y0 <= y < y1:
                return person
        return None

    def speech_seconds(self) -> float:
        return sum(s.end - s.start for s in self.segments)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / "truth.json"
        data = asdict(self)
        path.write_text(json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, folder: Path) -> MeetingTruth:
        data = json.loads((Path(folder) / "truth.json").read_text())
        data["segments"] = [Segment(**s) for s in data["segments"]]
        return cls(**data)
