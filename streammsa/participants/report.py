"""One table of meeting results (what ``scripts/eval_meetings.py`` prints) and their JSON form."""

from __future__ import annotations

import math
from dataclasses import asdict

from streammsa.participants.evaluate import MeetingResult

COLUMNS = (
    ("meeting", 22),
    ("mode", 6),
    ("people", 6),
    ("found", 5),
    ("DER", 6),
    ("DER0", 6),
    ("assoc", 6),
    ("face", 6),
    ("silent", 6),
    ("words", 6),
    ("n_words", 7),
    ("rtf", 5),
    ("lag50", 5),
    ("lag95", 5),
)


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def row(r: MeetingResult) -> list[str]:
    a, w = r.association, r.words
    compute = r.seconds.get("speakers+faces", 0.0)
    return [
        r.name,
        r.mode,
        str(r.people),
        str(r.found),
        _pct(r.der.der),
        _pct(r.der_no_collar.der),
        _pct(a.accuracy if a else None),
        _pct(a.speaking_face if a else None),
        f"{a.silent_faces_given_a_voice}/{a.silent_faces}" if a and a.silent_faces else "-",
        _pct(w.accuracy if w else None),
        str(w.words) if w else "-",
        f"{compute / r.audio_s:.2f}" if r.audio_s else "-",
        f"{r.lag_s[0]:.1f}" if r.lag_s else "-",
        f"{r.lag_s[1]:.1f}" if r.lag_s else "-",
    ]


def table(results: list[MeetingResult]) -> str:
    """Fixed-width table; percentages; DER with a 0.25-s collar and with none (DER0)."""
    lines = ["  ".join(name.ljust(width) for name, width in COLUMNS)]
    for r in results:
        lines.append("  ".join(cell.ljust(width) for cell, (_, width) in zip(row(r), COLUMNS)))
    return "\n".join(lines)


def to_dict(r: MeetingResult) -> dict:
    return asdict(r)
