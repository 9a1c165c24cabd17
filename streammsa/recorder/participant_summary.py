"""What summary.json and the reports say about each participant of a meeting (``--participants``).

Per participant: who it is (``recorder/participants.py``), its readings (the last revision of each,
the same numbers as the run-level ones but over its stream alone), what it said and the alerts it raised.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from streammsa import MODALITIES, MODALITY_LABELS
from streammsa.recorder.participants import Participant
from streammsa.recorder.utterances import committed_words

ALERT_KINDS = ("conflict", "sustained_negative")


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def participant_stats(
    p: Participant,
    readings: list[dict[str, Any]],
    durations: list[float],
    alerts: list[dict[str, Any]],
    transcripts: list[dict[str, Any]],
) -> dict[str, Any]:
    """``readings`` (with the stream time each stands for, ``durations``), ``alerts`` and committed
    ``transcripts`` of the whole run; only ``p``'s stream is counted."""
    own = [(r, d) for r, d in zip(readings, durations) if r.get("stream") == p.stream]
    rs = sorted((r for r, _ in own), key=lambda r: r["t_end"])
    vals = [r["intensity"] for r in rs if r.get("intensity") is not None]
    presence, confidence = {}, {}
    for m in MODALITIES:
        heard = [r["modalities"][m] for r in rs if (r.get("modalities") or {}).get(m, {}).get("present")]
        presence[m] = len(heard) / len(rs) if rs else 0.0
        confidence[m] = _mean([mr["confidence"] for mr in heard if mr.get("confidence") is not None])
    lowest = min((r for r in rs if r.get("intensity") is not None), key=lambda r: r["intensity"], default=None)
    raised = [a for a in alerts if a.get("stream") == p.stream and a.get("state") == "raised"]
    words = [w["w"] for s, w in committed_words(transcripts) if s == p.stream]
    return {
        "stream": p.stream,
        "name": p.name,
        "voice": p.voice,
        "face": p.face,
        "first_t": p.first_t,
        "last_t": p.last_t,
        "left": p.left,
        "left_t": p.left_t,
        "readings": len(rs),
        "intensity_mean": _mean(vals),
        "intensity_min": min(vals) if vals else None,
        "intensity_max": max(vals) if vals else None,
        # a window that was read, not the stream's whole time: one hop each, none while away
        "time_negative_s": round(sum(d for r, d in own if (r.get("intensity") or 0.0) < 0), 3),
        "presence_rate": presence,
        "confidence_mean": confidence,
        "words": len(words),
        "transcript": " ".join(words),
        "alerts_raised": len(raised),
        "alerts_by_kind": {k: sum(1 for a in raised if a.get("kind") == k) for k in ALERT_KINDS},
        # the reading's window end, where the chart draws it; None when it never read below zero
        "most_negative_t": lowest["t_end"] if lowest is not None and lowest["intensity"] < 0 else None,
    }


def _num(v: float | None, fmt: str = "{:+.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def _modality_cell(p: dict[str, Any], m: str) -> str:
    share = p["presence_rate"][m]
    conf = p["confidence_mean"][m]
    return f"{share:.0%}" + ("" if conf is None else f" · conf {conf:.2f}")


def _seen(p: dict[str, Any]) -> str:
    left = f" (left at {p['left_t']:.1f})" if p["left"] and p["left_t"] is not None else ""
    return f"{p['first_t']:.1f}–{p['last_t']:.1f}{left}"


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("participant", lambda p: p["name"]),
    ("stream", lambda p: p["stream"]),
    ("voice / face", lambda p: f"{_num(p['voice'], '{}')} / {_num(p['face'], '{}')}"),
    ("seen (s)", lambda p: _seen(p)),
    ("readings", lambda p: str(p["readings"])),
    ("mean", lambda p: _num(p["intensity_mean"])),
    ("min", lambda p: _num(p["intensity_min"])),
    ("max", lambda p: _num(p["intensity_max"])),
    *[(f"{MODALITY_LABELS[m]} heard", (lambda p, m=m: _modality_cell(p, m))) for m in MODALITIES],
    ("words", lambda p: str(p["words"])),
    ("alerts", lambda p: ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in p["alerts_by_kind"].items() if n) or "—"),
    ("most negative at (s)", lambda p: _num(p["most_negative_t"], "{:.1f}")),
]


def participants_table_html(people: list[dict[str, Any]], table_class: str = "") -> str:
    """The per-participant table of the HTML reports (``people``: summary.json's ``participants``)."""
    cls = f' class="{table_class}"' if table_class else ""
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name, _ in COLUMNS)
    rows = "\n".join(
        f'<tr data-testid="participant" data-stream="{html.escape(p["stream"])}">'
        + "".join(f"<td>{html.escape(cell(p))}</td>" for _, cell in COLUMNS)
        + "</tr>"
        for p in people
    )
    return f'<table{cls} data-testid="participants-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
