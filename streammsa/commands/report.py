"""`streammsa report RUN_DIR`: rebuild every output of a run folder from its ``timeline.jsonl``.

For a run that was killed before its report, a timeline copied from elsewhere, or outputs made by
an older version: timeline.csv, summary.json, report.png, the interactive report.html,
utterances.csv and transcript.srt/.vtt (``streammsa/recorder/outputs.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streammsa.errors import InputError, UsageError
from streammsa.recorder.timeline import TIMELINE_NAME, read_timeline
from streammsa.recorder.utterances import UtteranceConfig

HELP = "Rebuild a run folder's report, CSVs and subtitles from its timeline.jsonl"
DESCRIPTION = (
    "Rebuild the outputs of a run folder (written by live/replay/demo/batch) from its timeline.jsonl alone: "
    "timeline.csv, summary.json, report.png, an interactive report.html (the dashboard replaying the recording: "
    "click the chart to see what was said then), utterances.csv (words grouped by pauses, with the mean reading "
    "per modality) and transcript.srt / transcript.vtt (subtitles with the reading per cue)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="run folder holding timeline.jsonl (or the file)")
    g = parser.add_argument_group("utterances and subtitles")
    g.add_argument(
        "--pause",
        type=float,
        default=UtteranceConfig.pause_s,
        metavar="S",
        help="a silence this long between two words starts a new utterance (default %(default)s)",
    )
    g.add_argument(
        "--max-utterance",
        type=float,
        default=UtteranceConfig.max_s,
        metavar="S",
        help="longest utterance / subtitle cue in seconds (default %(default)s)",
    )


def timeline_of(path: Path) -> tuple[Path, Path]:
    """(run folder, timeline) for a run folder or a timeline file; one clear line when neither."""
    path = Path(path)
    if path.is_file() and path.suffix == ".jsonl":
        return path.parent, path
    if not path.exists():
        raise InputError(f"{path} does not exist; pass a run folder (it holds {TIMELINE_NAME})")
    if not path.is_dir():
        raise InputError(f"{path} is not a run folder or a {TIMELINE_NAME} file; pass the folder a run printed")
    timeline = path / TIMELINE_NAME
    if not timeline.is_file():
        hint = " (a batch output folder: pass one of its per-file folders)" if (path / "summary.csv").is_file() else ""
        raise InputError(f"{path} has no {TIMELINE_NAME}{hint}; pass the folder a live/replay/batch run wrote")
    return path, timeline


def run(args: argparse.Namespace) -> int:
    from streammsa.recorder.outputs import write_outputs

    if args.pause <= 0 or args.max_utterance <= 0:
        raise UsageError("--pause and --max-utterance must be positive")
    run_dir, timeline = timeline_of(args.run_dir)
    if next(read_timeline(timeline), None) is None:
        raise InputError(f"{timeline} holds no messages: nothing to report (was the run stopped before it began?)")
    cfg = UtteranceConfig(pause_s=args.pause, max_s=args.max_utterance)
    out = write_outputs(run_dir, timeline=timeline, utterance_config=cfg)
    print(f"{out.readings} readings, {out.utterances} utterances from {timeline}", flush=True)
    for f in out.files:
        print(f"wrote {f}", flush=True)
    return 0
