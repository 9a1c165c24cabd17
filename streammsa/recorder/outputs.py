"""Every output of a run folder, rebuilt from its ``timeline.jsonl`` alone: the one function the end
of a run (``monitor/sinks.py: ReportSink``), ``streammsa report`` and ``streammsa batch`` call.

timeline.csv (one row per reading), summary.json + report.png (``recorder/report.py``), the
interactive report.html (``recorder/interactive.py``), utterances.csv (``recorder/utterances.py``)
and transcript.srt / transcript.vtt (``recorder/subtitles.py``). A meeting read with ``--participants``
names each participant in all of them (``recorder/participants.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammsa import log
from streammsa.recorder.csv_export import CSV_NAME, write_csv
from streammsa.recorder.interactive import PageTemplateError, write_interactive_report
from streammsa.recorder.participants import participants_mode
from streammsa.recorder.report import HTML_NAME, SUMMARY_NAME, write_report
from streammsa.recorder.subtitles import write_subtitles
from streammsa.recorder.timeline import TIMELINE_NAME, read_timeline
from streammsa.recorder.utterances import UTTERANCES_NAME, UtteranceConfig, utterances, write_utterances_csv

logger = log.get("recorder")

# what summary.json says about the run itself (not computed from the readings): kept when a report is rebuilt
RUN_INFO_KEYS = (
    "source",
    "stream",
    "mode",
    "wall_s",
    "interrupted",
    "error",
    "window_s",
    "hop_s",
    "device",
    "model",
    "trained",
)


@dataclass
class RunOutputs:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # summary.json
    readings: int = 0
    utterances: int = 0


def run_info_of(out_dir: Path, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a rebuilt report says about the run: the old summary.json's run facts when there is one,
    else what the timeline's hello holds."""
    old = Path(out_dir) / SUMMARY_NAME
    if old.is_file():
        try:
            data = json.loads(old.read_text(encoding="utf-8"))
            return {k: data[k] for k in RUN_INFO_KEYS if k in data}
        except (json.JSONDecodeError, OSError, TypeError):
            pass  # a damaged summary is rebuilt from the timeline like a missing one
    hello = next((m for m in messages if m.get("type") == "hello"), {})
    info: dict[str, Any] = {"source": Path(out_dir).resolve().name}
    info.update({k: hello[k] for k in ("model", "trained", "window_s", "hop_s") if k in hello})
    if hello.get("streams"):
        info["stream"] = hello["streams"][0]
    return info


def write_outputs(
    out_dir: Path,
    run_info: dict[str, Any] | None = None,
    timeline: Path | None = None,
    utterance_config: UtteranceConfig | None = None,
) -> RunOutputs:
    """Write every output into ``out_dir`` from ``timeline`` (default: ``out_dir/timeline.jsonl``).

    ``run_info``: facts about the run for summary.json (None: kept from the folder's summary.json).
    """
    out_dir = Path(out_dir)
    timeline = Path(timeline) if timeline is not None else out_dir / TIMELINE_NAME
    messages = list(read_timeline(timeline))
    info = run_info if run_info is not None else run_info_of(out_dir, messages)
    res = RunOutputs(out_dir)
    res.readings = write_csv(messages, out_dir / CSV_NAME)
    report = write_report(out_dir, run_info=info, timeline=timeline)
    res.stats = report.stats
    utts = utterances(messages, utterance_config)
    res.utterances = write_utterances_csv(utts, out_dir / UTTERANCES_NAME, participants_mode(messages))
    subtitles = write_subtitles(utts, out_dir)
    try:  # replaces the static report.html write_report made, which stays if the dashboard files are missing
        write_interactive_report(out_dir / HTML_NAME, messages, report.stats, utts, report.png.read_bytes())
    except (OSError, PageTemplateError) as exc:
        logger.warning("report.html is the static report: the interactive one could not be built (%s)", exc)
    res.files = [out_dir / CSV_NAME, report.summary, report.png, report.html, out_dir / UTTERANCES_NAME, *subtitles]
    return res
