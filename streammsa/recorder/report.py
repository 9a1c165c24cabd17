"""End-of-run report, rebuilt from ``timeline.jsonl`` alone: summary.json, report.png, report.html.

Each reading counts once, as it finally stood (its last revision: ``recorder/readings.py``).

The PNG plots overall and per-modality intensity over time with conflict alerts marked
and transcript snippets; the HTML is self-contained (PNG embedded as base64) with the
summary statistics, and states plainly when the model was untrained.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammsa import MODALITIES
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


def _stats(readings: list[dict[str, Any]], alerts: list[dict[str, Any]], run_info: dict[str, Any]) -> dict[str, Any]:
    vals = [r["intensity"] for r in readings if r.get("intensity") is not None]
    # each reading stands for the stream time since the previous reading's end (one hop)
    durations, prev_end = [], 0.0
    for r in readings:
        durations.append(max(0.0, r["t_end"] - prev_end))
        prev_end = r["t_end"]
    neg_s = sum(d for r, d in zip(readings, durations) if r.get("intensity") is not None and r["intensity"] < 0)
    total_s = sum(durations)
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
    return {
        **run_info,
        "model": readings[0].get("model") if readings else run_info.get("model"),
        "trained": (trained_flags == {True}) if readings else run_info.get("trained"),
        "readings": len(readings),
        "duration_s": round(total_s, 3),
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


def _plot(
    readings: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    transcripts: list[dict[str, Any]],
    path: Path,
    trained: bool,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.5), dpi=100)
    t = [r["t_end"] for r in readings]
    ax.axhline(0.0, color="#999", lw=0.8)
    ax.plot(t, [r["intensity"] for r in readings], color="black", lw=2.2, marker="o", ms=3, label="overall")
    colours = {"text": "#1d4ed8", "audio": "#b45309", "vision": "#7e22ce"}  # the dashboard's colours (web/style.css)
    for m in MODALITIES:
        ys = [
            (r["modalities"][m]["intensity"] if r["modalities"][m]["intensity"] is not None else float("nan"))
            for r in readings
        ]
        ax.plot(t, ys, color=colours[m], lw=1.2, alpha=0.85, label=m)
    for a in alerts:
        if a.get("state") != "raised":
            continue
        c = "#ff7f0e" if a.get("kind") == "conflict" else "#9467bd"
        ax.axvline(a["t"], color=c, ls="--", lw=1.2)
        ax.text(
            a["t"],
            2.75,
            f"{a['kind']}:{a.get('modality') or ''}",
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
    ax.legend(loc="upper left", fontsize=8, ncol=4)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return "n/a" if v is None else str(v)


def _html(stats: dict[str, Any], png: bytes, alerts: list[dict[str, Any]], transcripts: list[dict[str, Any]]) -> str:
    rows = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in stats.items())
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
<h2>Alerts</h2><table>
<tr><th>t (s)</th><th>kind</th><th>state</th><th>modality</th><th>message</th></tr>{alert_rows}</table>
<h2>Transcript</h2><p>{words or "<em>no speech recognised</em>"}</p>
</body></html>
"""


def write_report(out_dir: Path, run_info: dict[str, Any] | None = None, timeline: Path | None = None) -> ReportFiles:
    """Build summary.json, report.png and report.html in ``out_dir`` from its timeline."""
    out_dir = Path(out_dir)
    timeline = timeline or out_dir / "timeline.jsonl"
    msgs = list(read_timeline(timeline))
    readings = sorted(latest_readings(msgs), key=lambda r: (r["stream"], r["t_end"]))
    alerts = [m for m in msgs if m.get("type") == "alert"]
    transcripts = [m for m in msgs if m.get("type") == "transcript" and m.get("kind") == "committed"]
    stats = _stats(readings, alerts, dict(run_info or {}))
    files = ReportFiles(out_dir / SUMMARY_NAME, out_dir / PNG_NAME, out_dir / HTML_NAME, stats)
    files.summary.write_text(json.dumps(stats, indent=2, default=str) + "\n", encoding="utf-8")
    _plot(readings, alerts, transcripts, files.png, bool(stats.get("trained")))
    files.html.write_text(_html(stats, files.png.read_bytes(), alerts, transcripts), encoding="utf-8")
    return files
