"""`streammsa replay`: replay a recorded meeting or clip through the monitor.

Paced at real time (``--speed``) like a live feed, or ``--fast`` (as fast as the machine
goes). Writes timeline.jsonl, timeline.csv and a report into the run folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streammsa.asr import options as asr_options
from streammsa.capture.location import display_name, media_location
from streammsa.commands.monitor_options import (
    add_dashboard_arguments,
    add_model_arguments,
    add_output_arguments,
    config_from_args,
)
from streammsa.commands.run_output import linger, print_run_folder, print_start, print_summary
from streammsa.errors import UsageError

HELP = "Replay a recorded meeting or clip through the monitor"
DESCRIPTION = (
    "Replay a media file (mp4/mov/mkv/webm/mpg/avi, or audio-only wav/flac/mp3) through the monitor: "
    "ASR + text/audio/face features -> model -> readings every hop, written to timeline.jsonl/csv and a report, "
    "and shown on the dashboard. A file without video gives text+audio readings; without audio, vision-only readings."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=media_location,
        metavar="FILE|URL",
        help="media file to replay, or a network stream URL (rtsp://, rtmp://, http(s):// incl. HLS .m3u8)",
    )
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="pacing as a multiple of real time (default: 1.0)")
    pace.add_argument(
        "--fast", action="store_true", help="as fast as possible (batch ASR decoding; no real-time pacing)"
    )
    add_model_arguments(parser)
    asr_options.add_arguments(parser)
    add_output_arguments(parser)
    add_dashboard_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return replay_file(args, args.file, source_name=display_name(args.file))


def replay_file(args: argparse.Namespace, path: Path | str, source_name: str) -> int:
    """One replay run of ``path`` (a file, or a URL: capture/network.py) with the parsed replay/demo options.

    A paced file starts playing before the models load (torch's import, the longest step, is made by
    ``config_from_args``): its packets are held until the run takes them, so the first reading, which covers the
    stream's first second, is not a second later than the models (issue #12: start-up to the first reading)."""
    from streammsa.capture.network import open_media
    from streammsa.capture.pacing import CaptureThread

    if args.speed is not None and args.speed <= 0:
        raise UsageError(f"--speed must be positive, got {args.speed}")
    # open the file first (once): a missing or corrupt file is one line before any model loads
    with open_media(path) as source:
        speed = None if args.fast and not source.is_live else args.speed  # a live URL comes at its own pace
        playing = []
        if speed is not None and not source.is_live:  # (--fast waits for nothing; a live URL keeps its own pace)
            playing.append(CaptureThread(source, speed=speed, stream=args.stream).start(held=True))
        try:
            config = config_from_args(args, source_name=source_name, speed=speed, live=source.is_live)
            print_run_folder(config)
            from streammsa.monitor import Components, Monitor

            components = Components.build(config)
            monitor = Monitor(config, [source], components=components, source_name=source.name, captures=playing)
            monitor.open()
        except BaseException:
            for capture in playing:  # a bad option or model file: stop playing before the file closes
                capture.stop()
                capture.finished.wait(10)
            raise
        print_start(monitor, config)
        result = monitor.run()
    print_summary(result, config)
    if not result.interrupted:
        linger(monitor, config)
    return 130 if result.interrupted else 0
