"""End-of-run report, rebuilt from ``timeline.jsonl`` alone: summary.json, report.png, report.html.

Each reading counts once, as it finally stood (its last revision: ``recorder/readings.py``).

The PNG plots overall and per-modality intensity over time with conflict alerts marked
and transcript snippets; the HTML is self-contained (PNG embedded as base64) with the
summary statistics, and states plainly when the model was untrained.

A meeting read with ``--participants`` (``recorder/participants.py``) adds summary.json's
``participants`` (``recorder/participant_summary.py``), one line per participant on the chart and
their table in the HTML; the run-level numbers stay over all readings, and the run's transcript is the
room stream's (the participants' words are the same words again).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammsa import MODALITIES
from streammsa.engine.disagreement import odd_one_out
from streammsa.protocol import ModalityReading
from streammsa.recorder.participant_summary import participant_stats, participants_table_html
from streammsa.recorder.participants import Participant, participants_mode, participants_of
from streammsa.recorder.readings import latest_readings
from streammsa.recorder.timeline import read_timeline

SUMMARY_NAME = "summary.json"
PNG_NAME = "report.png"
HTML_NAME = "report.html"
UNTRAINED_NOTE = "UNTRAINED MODEL: these numbers are not sentiment (run with a trained --checkpoint for real readings)."


@dataclass
class ReportFiles:
    summary: Path
    png: Path
    html: Path
    stats: dict[str, Any] = field(default_factory=dict)


def _durations(readings: list[dict[str, Any]], within_window: bool) -> list[float]:
    """The stream time each reading stands for: since the previous reading of its stream ended (one hop).
    ``within_window``: at most the reading's own window (a participant who joined late or was away is
    not read for the time before)."""
    out, prev_end = [], {}
    for r in readings:
        d = max(0.0, r["t_end"] - prev_end.get(r.get("stream"), 0.0))
        if within_window:
            d = min(d, max(0.0, r["t_end"] - r["t_start"]))
        out.append(d)
        prev_end[r.get("stream")] = r["t_end"]
    return out


def _stats(
    readings: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    run_info: dict[str, Any],
    people: list[Participant] | None = None,
    transcripts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``people``: the participants of a ``--participants`` run (None: a single-stream run), whose
    ``transcripts`` (the committed ones of the run) give their words."""
    vals = [r["intensity"] for r in readings if r.get("intensity") is not None]
    durations = _durations(readings, within_window=people is not None)
    neg_s = sum(d for r, d in zip(readings, durations) if r.get("intensity") is not None and r["intensity"] < 0)
    total_s = sum(durations)  # participants: person-seconds read, the base of time_negative_frac
    # the run's length: participants are read side by side, their times are not added up
    run_s = max((r["t_end"] for r in readings), default=0.0) if people is not None else total_s
    presence = {
        m: (
            sum(1 for r in readings if (r.get("modalities") or {}).get(m, {}).get("present")) / len(readings)
            if readings
            else 0.0
        )
        for m in MODALITIES
    }
    modality_means = {}
    for m in MODALITIES:
        xs = [
            r["modalities"][m]["intensity"]
            for r in readings
            if (r.get("modalities") or {}).get(m, {}).get("intensity") is not None
        ]
        modality_means[m] = (sum(xs) / len(xs)) if xs else None
    raised = [a for a in alerts if a.get("state") == "raised"]
    lat = sorted(r["latency_ms"] for r in readings if r.get("latency_ms") is not None)
    # when each reading stopped changing: its first emission, or the update that made it final
    settled = sorted(
        r["latency_ms"] if r.get("update_latency_ms") is None else r["update_latency_ms"]
        for r in readings
        if r.get("final", True) and r.get("latency_ms") is not None
    )
    trained_flags = {bool(r.get("trained")) for r in readings}
    stats = {
        **run_info,
        "model": readings[0].get("model") if readings else run_info.get("model"),
        "trained": (trained_flags == {True}) if readings else run_info.get("trained"),
        "readings": len(readings),
        "duration_s": round(run_s, 3),
        "intensity_mean": (sum(vals) / len(vals)) if vals else None,
        "intensity_min": min(vals) if vals else None,
        "intensity_max": max(vals) if vals else None,
        "time_negative_s": round(neg_s, 3),
        "time_negative_frac": (neg_s / total_s) if total_s > 0 else 0.0,
        "modality_intensity_mean": modality_means,
        "presence_rate": presence,
        "alerts_raised": len(raised),
        "alerts_by_kind": {k: sum(1 for a in raised if a.get("kind") == k) for k in ("conflict", "sustained_negative")},
        "latency_ms_median": lat[len(lat) // 2] if lat else None,
        "latency_ms_max": lat[-1] if lat else None,
        "revised_readings": sum(1 for r in readings if (r.get("revision") or 0) > 0),
        "final_readings": sum(1 for r in readings if r.get("final", True)),
        "final_latency_ms_median": settled[len(settled) // 2] if settled else None,
    }
    stats["disagreement_mean"] = _mean([r["disagreement"] for r in readings if r.get("disagreement") is not None])
    stats["most_disagreement"] = disagreement_moments(readings)
    if people is not None:
        stats["participants"] = [participant_stats(p, readings, durations, alerts, transcripts or []) for p in people]
    return stats


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


MOMENTS = 3


def disagreement_moments(readings: list[dict[str, Any]], k: int = MOMENTS) -> list[dict[str, Any]]:
    """The ``k`` windows whose modalities disagreed most (``Reading.disagreement``, protocol 4), apart from each
    other (no two overlap), with who disagreed and what each modality read: where to look first in a long run."""
    scored = sorted((r for r in readings if r.get("disagreement") is not None), key=lambda r: -r["disagreement"])
    picked: list[dict[str, Any]] = []
    for r in scored:
        if len(picked) == k:
            break
        if any(r["stream"] == p["stream"] and r["t_start"] < p["t_end"] and p["t_start"] < r["t_end"] for p in picked):
            continue
        mods = r.get("modalities") or {}
        odd = odd_one_out({m: _modality(v) for m, v in mods.items()})  # the alert's own naming
        picked.append(
            {
                "stream": r["stream"],
                "t_start": r["t_start"],
                "t_end": r["t_end"],
                "disagreement": r["disagreement"],
                "who": odd.name if odd else "",
                "readings": {m: v.get("intensity") for m, v in mods.items() if v.get("present")},
                "transcript": r.get("transcript", ""),
            }
        )
    return picked


def _snippets(transcripts: list[dict[str, Any]], span_s: float = 4.0) -> list[tuple[float, str]]:
    """Committed words grouped into ~span_s pieces placed at their start (a batch commit can be long)."""
    out: list[tuple[float, str]] = []
    cur: list[str] = []
    t0 = None
    for ev in transcripts:
        words = ev.get("words") or [{"w": ev.get("text", ""), "start": ev.get("t_start", 0.0)}]
        for w in words:
            if t0 is not None and w["start"] - t0 >= span_s:
                out.append((t0, " ".join(cur)))
                cur, t0 = [], None
            if t0 is None:
                t0 = w["start"]
            cur.append(str(w["w"]))
    if cur and t0 is not None:
        out.append((t0, " ".join(cur)))
    return out


def import_plotting() -> Any:
    """matplotlib's pyplot on its file-only backend (its import costs about 0.5 CPU-s: a --fast run starts it early,
    ``monitor/sinks.ReportSink``, so that the report does not wait for it at the end)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def intensity_figure(
    readings: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    transcripts: list[dict[str, Any]],
    trained: bool,
    names: dict[str, str] | None = None,
) -> Any:
    """report.png's matplotlib figure (the caller closes it). ``names``: stream -> participant name in a
    ``--participants`` run: one overall line per participant, labelled with the name (their modalities
    would be 4 lines a person); None: the overall and each modality of the one stream."""
    plt = import_plotting()
    fig, ax = plt.subplots(figsize=(11, 4.5), dpi=100)
    t = [r["t_end"] for r in readings]
    ax.axhline(0.0, color="#999", lw=0.8)
    if names is None:
        ax.plot(t, [r["intensity"] for r in readings], color="black", lw=2.2, marker="o", ms=3, label="overall")
        colours = {"text": "#1d4ed8", "audio": "#b45309", "vision": "#7e22ce"}  # the dashboard's (web/style.css)
        for m in MODALITIES:
            ys = [
                (r["modalities"][m]["intensity"] if r["modalities"][m]["intensity"] is not None else float("nan"))
                for r in readings
            ]
            ax.plot(t, ys, color=colours[m], lw=1.2, alpha=0.85, label=m)
    else:
        for i, (stream, name) in enumerate(names.items()):
            own = [r for r in readings if r.get("stream") == stream]
            ax.plot(
                [r["t_end"] for r in own],
                [r["intensity"] if r.get("intensity") is not None else float("nan") for r in own],
                color=f"C{i % 10}",
                lw=1.8,
                marker="o",
                ms=3,
                label=name,
            )
    for a in alerts:
        if a.get("state") != "raised":
            continue
        c = "#ff7f0e" if a.get("kind") == "conflict" else "#9467bd"
        who = f"{names[a['stream']]} " if names and a.get("stream") in names else ""
        ax.axvline(a["t"], color=c, ls="--", lw=1.2)
        ax.text(
            a["t"],
            2.75,
            f"{who}{a['kind']}:{a.get('modality') or ''}",
            color=c,
            fontsize=7,
            rotation=90,
            va="top",
            ha="right",
        )
    x_min = min(t) if t else 0.0
    for i, (t0, snippet) in enumerate(_snippets(transcripts)[:60]):
        # a snippet that starts before the first reading is pinned to the plot's left edge
        ax.text(max(t0, x_min), -2.6 + 0.35 * (i % 3), snippet, fontsize=7, color="#444", clip_on=True)
    ax.set_ylim(-3.05, 3.05)
    ax.set_xlabel("stream time (s)")
    ax.set_ylabel("intensity")
    title = "sentiment intensity over time"
    if not trained:
        title += " (UNTRAINED model: not sentiment)"
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:  # a meeting nobody joined has no line to name
        ax.legend(loc="upper left", fontsize=8, ncol=4)
    fig.tight_layout()
    return fig


def _plot(
    readings: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    transcripts: list[dict[str, Any]],
    path: Path,
    trained: bool,
    names: dict[str, str] | None = None,
) -> None:
    plt = import_plotting()
    fig = intensity_figure(readings, alerts, transcripts, trained, names)
    fig.savefig(path)
    plt.close(fig)


def _modality(fields: dict[str, Any]) -> ModalityReading:
    """A recorded ModalityReading back as one (fields a timeline of another version lacks keep their defaults)."""
    known = {f.name for f in dataclasses.fields(ModalityReading)}
    return ModalityReading(**{k: v for k, v in fields.items() if k in known})


def moments_html(moments: list[dict[str, Any]], table_class: str = "") -> str:
    """``disagreement_moments`` as an HTML section ("" when there are none)."""
    if not moments:
        return ""
    rows = "\n".join(
        f"<tr><td>{m['t_start']:.1f}-{m['t_end']:.1f}</td><td>{m['disagreement']:.2f}</td>"
        f"<td>{html.escape(m['who'])}</td><td>{html.escape(_fmt(m['readings']))}</td>"
        f"<td>{html.escape(m['transcript'])}</td></tr>"
        for m in moments
    )
    return (
        '<h2 id="moments-h">Where the modalities disagreed most</h2>'
        f'<table class="{table_class}" data-testid="disagreement-moments"><tr><th>window (s)</th>'
        f"<th>disagreement</th><th>who</th><th>readings</th><th>words</th></tr>{rows}</table>"
    )


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return "n/a" if v is None else str(v)


def _html(stats: dict[str, Any], png: bytes, alerts: list[dict[str, Any]], transcripts: list[dict[str, Any]]) -> str:
    rows = "\n".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in stats.items()
        if k not in ("participants", "most_disagreement")  # their own tables below
    )
    moments_table = moments_html(stats.get("most_disagreement") or [])
    people = ""
    if stats.get("participants"):
        people = "<h2>Participants</h2>" + participants_table_html(stats["participants"])
    alert_rows = "\n".join(
        f"<tr><td>{a['t']:.2f}</td><td>{html.escape(a['kind'])}</td><td>{html.escape(a['state'])}</td>"
        f"<td>{html.escape(str(a.get('modality') or ''))}</td><td>{html.escape(a.get('message', ''))}</td></tr>"
        for a in alerts
    )
    words = " ".join(html.escape(t.get("text", "")) for t in transcripts)
    banner = "" if stats.get("trained") else f'<p class="warn">{html.escape(UNTRAINED_NOTE)}</p>'
    img = base64.b64encode(png).decode("ascii")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>streammsa report: {html.escape(str(stats.get("source", "")))}</title>
<style>body{{font-family:sans-serif;max-width:1150px;margin:1em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}
.warn{{background:#fee;border:2px solid #c00;padding:8px;font-weight:bold}}</style>
</head><body>
<h1>streammsa report</h1>
{banner}
<img alt="intensity over time" style="max-width:100%" src="data:image/png;base64,{img}">
<h2>Summary</h2><table>{rows}</table>
{people}
{moments_table}
<h2>Alerts</h2><table>
<tr><th>t (s)</th><th>kind</th><th>state</th><th>modality</th><th>message</th></tr>{alert_rows}</table>
<h2>Transcript</h2><p>{words or "<em>no speech recognised</em>"}</p>
</body></html>
"""


def _room_transcript(transcripts: list[dict[str, Any]], names: dict[str, str] | None) -> list[dict[str, Any]]:
    """The run's transcript, every word once: in participants mode the room stream's (each participant's
    words are the room's again), or the participants' in time order when the room has none."""
    if names is None:
        return transcripts
    room = [t for t in transcripts if t.get("stream") not in names]
    return room or sorted(transcripts, key=lambda t: t.get("t_start") or 0.0)


def write_report(out_dir: Path, run_info: dict[str, Any] | None = None, timeline: Path | None = None) -> ReportFiles:
    """Build summary.json, report.png and report.html in ``out_dir`` from its timeline."""
    out_dir = Path(out_dir)
    timeline = timeline or out_dir / "timeline.jsonl"
    msgs = list(read_timeline(timeline))
    readings = sorted(latest_readings(msgs), key=lambda r: (r["stream"], r["t_end"]))
    alerts = [m for m in msgs if m.get("type") == "alert"]
    transcripts = [m for m in msgs if m.get("type") == "transcript" and m.get("kind") == "committed"]
    people = participants_of(msgs) if participants_mode(msgs) else None
    stats = _stats(readings, alerts, dict(run_info or {}), people, transcripts)
    names = {p.stream: p.name for p in people} if people is not None else None
    room = _room_transcript(transcripts, names)
    files = ReportFiles(out_dir / SUMMARY_NAME, out_dir / PNG_NAME, out_dir / HTML_NAME, stats)
    files.summary.write_text(json.dumps(stats, indent=2, default=str) + "\n", encoding="utf-8")
    _plot(readings, alerts, room, files.png, bool(stats.get("trained")), names)
    files.html.write_text(_html(stats, files.png.read_bytes(), alerts, room), encoding="utf-8")
    return files
