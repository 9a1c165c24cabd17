"""`streammsa live`: watch a webcam and microphone live, or a network stream (``--url``).

Camera and microphone share one stream clock; their packets feed the same monitor as a
replay. With no camera or no microphone this exits with one line naming
`streammsa devices` and `streammsa replay FILE`. ``--no-camera`` / ``--no-mic`` run
with one device only (audio-only or vision-only readings). ``--url`` takes sound and
picture from an RTSP/RTMP/HTTP(S)/HLS stream instead, reconnecting with back-off
(``--retries``) when it breaks; ``--no-camera`` / ``--no-mic`` then drop its video / audio.
"""

from __future__ import annotations

import argparse

from streammsa.asr import options as asr_options
from streammsa.commands.monitor_options import (
    add_dashboard_arguments,
    add_model_arguments,
    add_output_arguments,
    config_from_args,
)
from streammsa.commands.run_output import print_run_folder, print_start, print_summary
from streammsa.errors import UsageError

HELP = "Watch a webcam and microphone live (or a network stream with --url)"
DESCRIPTION = (
    "Watch a webcam and a microphone live, or a network stream (--url rtsp://, rtmp://, http(s)://, HLS): "
    "readings every hop on the dashboard and in timeline.jsonl. "
    "Stop with Ctrl-C; the timeline, CSV and report are written on the way out."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--camera", default="0", help="camera index or stream URL (default: 0; see `streammsa devices`)"
    )
    parser.add_argument("--mic", default=None, help="microphone index or name (default: the system default input)")
    parser.add_argument("--no-camera", action="store_true", help="audio only (no face readings)")
    parser.add_argument("--no-mic", action="store_true", help="camera only (no speech or voice readings)")
    net = parser.add_argument_group("network stream")
    net.add_argument(
        "--url",
        default=None,
        help="watch this stream's sound and picture instead of the camera and microphone: rtsp://, rtmp://, "
        "http(s):// (a file or an HLS .m3u8), srt:// (a password in the URL is never printed)",
    )
    net.add_argument(
        "--retries",
        type=int,
        default=10,
        metavar="N",
        help="reconnection attempts when the stream breaks, with back-off up to 8 s (default: %(default)s)",
    )
    add_model_arguments(parser)
    asr_options.add_arguments(parser)
    add_output_arguments(parser)
    add_dashboard_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from streammsa.capture.camera import CameraSource
    from streammsa.capture.clock import StreamClock
    from streammsa.capture.microphone import MicrophoneSource
    from streammsa.monitor import Components, Monitor

    if args.no_camera and args.no_mic:
        raise UsageError("--no-camera and --no-mic together leave nothing to watch; drop one of them")
    clock = StreamClock()  # one clock: camera frames and microphone samples line up in windows
    sources = []
    name = "live"
    try:
        # devices (or the stream) first: on a machine without them this is the one line the user sees
        if args.url is not None:
            from streammsa.capture.network import NetworkSource

            stream = NetworkSource(args.url, audio=not args.no_mic, video=not args.no_camera, max_retries=args.retries)
            sources.append(stream)
            name = stream.name
        if args.url is None and not args.no_camera:
            sources.append(CameraSource(args.camera, clock=clock, live=True))
        if args.url is None and not args.no_mic:
            sources.append(MicrophoneSource(args.mic, clock=clock))
        config = config_from_args(args, source_name=name, speed=1.0, live=True)
        print_run_folder(config)
        components = Components.build(config)
        monitor = Monitor(config, sources, components=components, source_name=name)
        monitor.open()
    except BaseException:
        for s in sources:
            s.close()
        raise
    clock.start()
    print_start(monitor, config)
    print(f"watching {'stream ' + name if args.url else 'live'}; press Ctrl-C to stop", flush=True)
    result = monitor.run()
    print_summary(result, config)
    return 0
