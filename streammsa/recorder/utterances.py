"""Utterances: the committed words of a timeline grouped into spoken phrases, each with the mean
reading of the windows it overlaps; written as ``utterances.csv`` (and the cues of the subtitles).

A new utterance starts at a pause (a gap of ``pause_s`` between two words), after a word that
ends a sentence, at a new stream, or when the phrase would outgrow ``max_s`` (subtitle cues must
stay readable). Its reading per modality is the mean over the readings whose window overlaps the
utterance, weighted by the overlap in seconds (a 4-s window holding one word of it counts for that
word's share); a modality absent from a window does not count, so a mean is ``None`` only when the
modality was absent throughout. Only the last revision of each reading is used
(``recorder/readings.py: latest_readings``).

In a meeting read with ``--participants`` the utterances are the participants' (each with the
participant's latest name); the room stream's transcript holds the same words again, unattributed,
and is left out.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammsa import MODALITIES
from streammsa.recorder.participants import participant_names, participants_mode
from streammsa.recorder.readings import latest_readings

UTTERANCES_NAME = "utterances.csv"
SENTENCE_END = (".", "?", "!", "…")


@dataclass(frozen=True)
class UtteranceConfig:
    pause_s: float = 0.5  # a gap this long between two words starts a new utterance
    max_s: float = 7.0  # longer phrases are cut at the word that would exceed it (subtitle readability)
    split_on_sentence_end: bool = True


@dataclass
class Utterance:
    stream: str
    index: int  # 0-based, in stream-time order across the timeline
    start: float
    end: float
    text: str
    words: int
    readings: int  # readings whose window overlaps the utterance
    intensity: float | None  # overall, overlap-weighted mean
    modalities: dict[str, float | None] = field(default_factory=dict)  # modality -> weighted mean or None
    trained: bool = True
    participant: str = ""  # the participant's name in participants mode; empty for a single-stream run


def committed_words(messages: Iterable[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(stream, word) for every committed word, in stream-time order; an event without word times
    stands as one word spanning the event."""
    out: list[tuple[str, dict[str, Any]]] = []
    for m in messages:
        if m.get("type") != "transcript" or m.get("kind") != "committed":
            continue
        stream = str(m.get("stream"))
        words = m.get("words") or []
        if not words and str(m.get("text", "")).strip():
            words = [{"w": m["text"].strip(), "start": m.get("t_start", 0.0), "end": m.get("t_end", 0.0)}]
        for w in words:
            text = str(w.get("w", "")).strip()
            if text:
                out.append((stream, {"w": text, "start": float(w["start"]), "end": float(w["end"])}))
    out.sort(key=lambda sw: (sw[0], sw[1]["start"], sw[1]["end"]))
    return out


def _groups(words: list[tuple[str, dict[str, Any]]], cfg: UtteranceConfig) -> list[list[tuple[str, dict[str, Any]]]]:
    groups: list[list[tuple[str, dict[str, Any]]]] = []
    for stream, w in words:
        cur = groups[-1] if groups else None
        if cur is not None:
            prev_stream, prev = cur[-1]
            new = (
                stream != prev_stream
                or w["start"] - prev["end"] >= cfg.pause_s
                or (cfg.split_on_sentence_end and prev["w"].endswith(SENTENCE_END))
                or w["end"] - cur[0][1]["start"] > cfg.max_s
            )
            if not new:
                cur.append((stream, w))
                continue
        groups.append([(stream, w)])
    return groups


def _weighted_means(readings: list[dict[str, Any]], start: float, end: float) -> tuple[int, float | None, dict]:
    # a zero-length utterance (one word stamped at an instant) still takes the windows around it
    span_end = max(end, start + 1e-3)
    sums = {k: 0.0 for k in ("overall", *MODALITIES)}
    weights = dict.fromkeys(sums, 0.0)
    n = 0
    for r in readings:
        overlap = min(r["t_end"], span_end) - max(r["t_start"], start)
        if overlap <= 0:
            continue
        n += 1
        if r.get("intensity") is not None:
            sums["overall"] += overlap * r["intensity"]
            weights["overall"] += overlap
        for m in MODALITIES:
            mr = (r.get("modalities") or {}).get(m) or {}
            if mr.get("present") and mr.get("intensity") is not None:
                sums[m] += overlap * mr["intensity"]
                weights[m] += overlap
    means = {k: (sums[k] / weights[k] if weights[k] > 0 else None) for k in sums}
    return n, means.pop("overall"), means


def utterances(messages: Iterable[dict[str, Any]], config: UtteranceConfig | None = None) -> list[Utterance]:
    """The utterances of a timeline's messages (as ``read_timeline`` gives them)."""
    cfg = config or UtteranceConfig()
    msgs = list(messages)
    names = participant_names(msgs)
    words = committed_words(msgs)
    if participants_mode(msgs):  # every word of the room stream is also a participant's (or nobody's)
        words = [(s, w) for s, w in words if s in names]
    readings = latest_readings(msgs)
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for r in readings:
        by_stream.setdefault(str(r.get("stream")), []).append(r)
    out: list[Utterance] = []
    groups = sorted(_groups(words, cfg), key=lambda g: (g[0][1]["start"], g[0][0]))
    for i, group in enumerate(groups):
        stream = group[0][0]
        start, end = group[0][1]["start"], group[-1][1]["end"]
        rs = by_stream.get(stream, [])
        n, overall, mods = _weighted_means(rs, start, end)
        out.append(
            Utterance(
                stream=stream,
                index=i,
                start=start,
                end=end,
                text=" ".join(w["w"] for _, w in group),
                words=len(group),
                readings=n,
                intensity=overall,
                modalities=mods,
                trained=all(bool(r.get("trained")) for r in rs) if rs else False,
                participant=names.get(stream, ""),
            )
        )
    return out


CSV_COLUMNS: list[str] = (
    ["stream", "index", "start", "end", "duration", "words", "readings", "intensity"]
    + [f"{m}_intensity" for m in MODALITIES]
    + ["trained", "text"]
)


def _num(v: float | None) -> str | float:
    return "" if v is None else round(v, 4)


def write_utterances_csv(utts: list[Utterance], path: Path, participants: bool | None = None) -> int:
    """One row per utterance; empty cells where a modality was absent. Returns the number of rows.
    ``participants`` (None: whether any utterance has a participant): a ``participant`` column (the
    name) next to ``stream``."""
    columns = CSV_COLUMNS
    if participants or (participants is None and any(u.participant for u in utts)):
        # only then: a single-stream run's file keeps the columns it always had
        columns = ["stream", "participant", *CSV_COLUMNS[1:]]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for u in utts:
            row: dict[str, Any] = {
                "stream": u.stream,
                "participant": u.participant,
                "index": u.index,
                "start": round(u.start, 3),
                "end": round(u.end, 3),
                "duration": round(u.end - u.start, 3),
                "words": u.words,
                "readings": u.readings,
                "intensity": _num(u.intensity),
                "trained": u.trained,
                "text": u.text,
            }
            row.update({f"{m}_intensity": _num(u.modalities.get(m)) for m in MODALITIES})
            w.writerow(row)
    return len(utts)
