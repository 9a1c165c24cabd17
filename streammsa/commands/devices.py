"""`streammsa devices`: list cameras and audio input devices (exit 0 even when there are none)."""

from __future__ import annotations

import argparse
import dataclasses
import json

from streammsa.errors import DeviceError

HELP = "List cameras and audio input devices"
DESCRIPTION = (
    "List cameras (OpenCV indices, for `streammsa live --camera N`) and audio input devices "
    "(PortAudio, for `streammsa live --mic NAME|N`). Without devices, use `streammsa replay FILE`."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--max-camera-index", type=int, default=8, metavar="N", help="probe camera indices 0..N-1 (default 8)"
    )


def run(args: argparse.Namespace) -> int:
    from streammsa.capture.devices import list_audio_inputs, list_cameras

    cameras = list_cameras(args.max_camera_index)
    audio_error = None
    try:
        audio = list_audio_inputs()
    except DeviceError as exc:
        audio, audio_error = [], str(exc)
    if args.json:
        print(
            json.dumps(
                {
                    "cameras": [dataclasses.asdict(c) for c in cameras],
                    "audio_inputs": [dataclasses.asdict(a) for a in audio],
                    "audio_error": audio_error,
                }
            )
        )
        return 0
    print("cameras:")
    if cameras:
        for c in cameras:
            print(f"  {c.index}: {c.width}x{c.height} @ {c.fps:g} fps ({c.backend})")
    else:
        print("  no cameras found")
    print("audio input devices:")
    if audio_error:
        print(f"  no audio input devices found: {audio_error}")
    elif audio:
        for a in audio:
            mark = " (default)" if a.default else ""
            print(f"  {a.index}: {a.name}{mark} - {a.channels} ch, {a.default_samplerate:g} Hz, {a.hostapi}")
    else:
        print("  no audio input devices found")
    if not cameras or not audio:
        print("without a camera or microphone, analyse a recording: streammsa replay FILE")
    return 0
