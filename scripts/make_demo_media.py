"""Make the embedded demo clip: a synthetic talking-head video from legitimately shipped parts.

What the clip is, honestly:
- face: the public-domain portrait of Grace Hopper (US Navy photo) that matplotlib ships as
  sample data (``matplotlib/mpl-data/sample_data/grace_hopper.jpg``), animated with slow,
  smooth synthetic head motion (pan, zoom, small rotation). It is a still photo: the
  expression never changes.
- voice: espeak-ng text-to-speech (Debian package) reading a short meeting update whose words
  move from positive to negative. The synthetic voice is flat.
So the demo shows the monitor working end to end (ASR, three feature streams, model,
readings, conflict scores, dashboard), not a real person's sentiment.

Usage: python scripts/make_demo_media.py [--out demo_media/demo.mp4] [--force]
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

from streammsa.paths import demo_clip

SCRIPT = (
    "Thanks everyone for joining today. "
    "I am really happy with how the launch went, the customers love the new design, "
    "and the team did a wonderful job. "
    "But honestly, the delays on the billing project are frustrating. "
    "I am worried we will miss the deadline again, and that would be a serious problem. "
    "Let's agree on a plan before we leave."
)
FPS = 25
SIZE = (640, 480)  # width, height
SAMPLE_RATE = 16000


def portrait() -> np.ndarray:
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        return np.asarray(Image.open(fh).convert("RGB"))


def speak(text: str, wav_path: Path) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        sys.exit("make_demo_media: espeak-ng is not installed; run: bash scripts/setup.sh")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav_path), text], check=True)
    with wave.open(str(wav_path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        pcm = np.frombuffer(w.readframes(n), dtype=np.int16).astype(np.float32) / 32768.0
    if rate != SAMPLE_RATE:  # espeak-ng speaks at 22.05 kHz: resample linearly, enough for a demo voice
        t_new = np.arange(int(len(pcm) * SAMPLE_RATE / rate)) / SAMPLE_RATE
        pcm = np.interp(t_new, np.arange(len(pcm)) / rate, pcm).astype(np.float32)
    # half a second of silence before and after, so windows at the edges are well-defined
    pad = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    return np.concatenate([pad, pcm, pad])


def frame_at(img: np.ndarray, t: float) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    # slow, smooth "head motion": the camera drifts and the head tilts a few degrees
    angle = 3.0 * math.sin(2 * math.pi * t / 6.0)
    scale = 1.0 + 0.05 * math.sin(2 * math.pi * t / 9.0)
    dx = 12.0 * math.sin(2 * math.pi * t / 7.0)
    dy = 6.0 * math.sin(2 * math.pi * t / 5.0)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += (dx, dy)
    moved = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    # fit the portrait into a 4:3 frame
    out_w, out_h = SIZE
    s = min(out_w / w, out_h / h)
    resized = cv2.resize(moved, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
    canvas = np.full((out_h, out_w, 3), 32, dtype=np.uint8)
    y0, x0 = (out_h - resized.shape[0]) // 2, (out_w - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    return canvas


def write_clip(out: Path, audio: np.ndarray, img: np.ndarray) -> None:
    import av

    duration = len(audio) / SAMPLE_RATE
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.mp4")
    with av.open(str(tmp), mode="w") as container:
        vstream = container.add_stream("libx264", rate=FPS)
        vstream.width, vstream.height = SIZE
        vstream.pix_fmt = "yuv420p"
        vstream.options = {"crf": "26", "preset": "veryfast"}
        astream = container.add_stream("aac", rate=SAMPLE_RATE)
        astream.layout = "mono"
        for i in range(int(duration * FPS)):
            frame = av.VideoFrame.from_ndarray(frame_at(img, i / FPS), format="rgb24")
            for packet in vstream.encode(frame):
                container.mux(packet)
        for packet in vstream.encode():
            container.mux(packet)
        block = 1024
        pts = 0
        for start in range(0, len(audio), block):
            chunk = audio[start : start + block]
            aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            aframe.sample_rate = SAMPLE_RATE
            aframe.pts = pts
            aframe.time_base = Fraction(1, SAMPLE_RATE)
            pts += len(chunk)
            for packet in astream.encode(aframe):
                container.mux(packet)
        for packet in astream.encode():
            container.mux(packet)
    tmp.replace(out)  # atomic: a half-written clip never looks finished


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=demo_clip())
    parser.add_argument("--force", action="store_true", help="rebuild even if the clip exists")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.force:
        print(f"demo clip already present: {args.out}")
        return 0
    with tempfile.TemporaryDirectory() as tmpdir:
        audio = speak(SCRIPT, Path(tmpdir) / "speech.wav")
    write_clip(args.out, audio, portrait())
    (args.out.parent / "demo_script.txt").write_text(SCRIPT + "\n")
    print(f"demo clip written: {args.out} ({len(audio) / SAMPLE_RATE:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
