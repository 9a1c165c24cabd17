#!/usr/bin/env python
"""Score diarization, speaker-face association and word attribution on constructed meetings; one table.

    .venv/bin/python scripts/build_meetings.py                     # first: the meetings
    .venv/bin/python scripts/eval_meetings.py                      # online and batch, every test meeting
    .venv/bin/python scripts/eval_meetings.py --mode online --only grid4 --asr none
    .venv/bin/python scripts/eval_meetings.py --through-monitor fast     # the whole monitor, --participants auto

Columns: DER with a 0.25-s collar (DER0: no collar), assoc (reference speech whose voice got the right
face, or none off screen), face (on-screen speech during which the speaker's face is shown speaking),
silent (silent faces wrongly given a voice / silent faces), words (committed words attributed to the
right person), rtf (compute time of diarization + faces over audio time), lag50/lag95 (online: how far
final speaker labels trail the audio, seconds). See docs/meetings.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.errors import StreamMSAError, UsageError
from streammsa.participants.evaluate import MODES, Models, evaluate_meeting
from streammsa.participants.report import table, to_dict

DEFAULT_MEETINGS = Path("~/.cache/streammsa/meetings/test")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--meetings", type=Path, default=DEFAULT_MEETINGS, help="a folder of meeting folders")
    p.add_argument("--only", nargs="+", help="meeting names (default: every folder with a truth.json)")
    p.add_argument("--mode", choices=(*MODES, "both"), default="both")
    p.add_argument("--asr", choices=("fast", "online", "none"), default="fast", help="recogniser for the word score")
    p.add_argument("--threads", type=int, default=1, help="torch threads (speaker embeddings)")
    p.add_argument(
        "--through-monitor",
        choices=("fast", "paced", "both"),
        help="replay each meeting through the whole monitor (--participants auto) instead of scoring the parts",
    )
    p.add_argument("--json-out", type=Path)
    args = p.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(args.threads)
        root = args.meetings.expanduser()
        folders = sorted(f.parent for f in root.glob("*/truth.json") if not args.only or f.parent.name in args.only)
        if not folders:
            raise UsageError(f"no meetings under {root}; build them with scripts/build_meetings.py")
        if args.through_monitor:
            return _through_monitor(folders, args)
        modes = MODES if args.mode == "both" else (args.mode,)
        models = Models()
        results = []
        for folder in folders:
            for mode in modes:
                results.append(evaluate_meeting(folder, mode, models, None if args.asr == "none" else args.asr))
                print(f"done {folder.name} ({mode})", file=sys.stderr, flush=True)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(table(results))
    if args.json_out:
        args.json_out.write_text(json.dumps([to_dict(r) for r in results], indent=1))
    return 0


def _through_monitor(folders: list[Path], args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from streammsa.monitor import Components, MonitorConfig
    from streammsa.participants.monitor_eval import evaluate_through_monitor
    from streammsa.participants.monitor_eval import table as monitor_table

    components = Components.build(MonitorConfig()).wait()
    modes = ("fast", "paced") if args.through_monitor == "both" else (args.through_monitor,)
    results = []
    for folder in folders:
        for mode in modes:
            results.append(evaluate_through_monitor(folder, fast=mode == "fast", components=components))
            print(f"done {folder.name} ({mode}, through the monitor)", file=sys.stderr, flush=True)
    print(monitor_table(results))
    if args.json_out:
        args.json_out.write_text(json.dumps([asdict(r) for r in results], indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
