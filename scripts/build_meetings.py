#!/usr/bin/env python
"""Build the constructed meetings of docs/meetings.md from real clips in ../shared/data.

    .venv/bin/python scripts/build_meetings.py                       # test suite -> ~/.cache/streammsa/meetings/test
    .venv/bin/python scripts/build_meetings.py --suite dev           # the meetings thresholds were chosen on
    .venv/bin/python scripts/build_meetings.py --only grid2 grid4 --out /tmp/meetings

Each meeting is a folder with its media (meeting.mp4: GRID faces tiled on screen; meeting.wav: voices
only) and truth.json (who speaks when, where each face is, what each placed clip says). Never writes
into the repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streammsa.errors import StreamMSAError
from streammsa.participants.suites import SUITES, build_suite
from streammsa.paths import shared_data

DEFAULT_OUT = Path("~/.cache/streammsa/meetings")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", choices=sorted(SUITES), default="test")
    p.add_argument("--only", nargs="+", help="meeting names (default: the whole suite)")
    p.add_argument("--data", type=Path, default=shared_data(), help="../shared/data")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="meetings go to OUT/SUITE/NAME/")
    p.add_argument("--duration", type=float, help="seconds per meeting (default: each meeting's own, 120)")
    args = p.parse_args(argv)
    try:
        for truth in build_suite(args.suite, args.data, args.out.expanduser() / args.suite, args.only, args.duration):
            speech = truth.speech_seconds()
            print(f"{truth.name}: {len(truth.speakers)} speakers, {len(truth.tiles)} faces, {speech:.0f} s of speech")
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"written under {args.out.expanduser() / args.suite}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
