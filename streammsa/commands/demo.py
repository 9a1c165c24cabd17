"""`streammsa demo`: run the monitor end to end on the embedded demo clip, with the dashboard.

The clip (demo_media/demo.mp4) is made at set-up by scripts/make_demo_media.py: a
synthetic talking head (a still public-domain portrait, animated) with an espeak-ng voice
reading a meeting update that turns from positive to negative. It shows the monitor
working end to end, not a real person's sentiment.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streammsa.asr import options as asr_options
from streammsa.commands.monitor_options import add_dashboard_arguments, add_model_arguments, add_output_arguments
from streammsa.errors import InputError

HELP = "Run the monitor on the embedded demo clip"
DESCRIPTION = (
    "Replay the embedded demo clip (demo_media/demo.mp4, generated at set-up) through the monitor with the "
    "dashboard at real time; --no-dashboard runs it headless, --fast as fast as possible."
)

MAKE_COMMAND = ".venv/bin/python scripts/make_demo_media.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="pacing as a multiple of real time (default: 1.0)")
    pace.add_argument("--fast", action="store_true", help="as fast as possible")
    parser.add_argument("--clip", type=Path, default=None, help=argparse.SUPPRESS)
    add_model_arguments(parser)
    asr_options.add_arguments(parser)
    add_output_arguments(parser)
    add_dashboard_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from streammsa.commands.replay import replay_file
    from streammsa.paths import REPO_ROOT, demo_clip

    clip: Path = args.clip or demo_clip()
    if not clip.is_file():
        where = f"cd {REPO_ROOT} && " if REPO_ROOT else ""
        raise InputError(f"demo clip {clip} is missing; create it with `{where}{MAKE_COMMAND}` (needs espeak-ng)")
    return replay_file(args, clip, source_name="demo")
