"""Concatenate the GRID clips in ../shared/data/grid into one talking-face clip for benchmarks.

GRID (CC BY 4.0, Cooke et al. 2006) clips are 3 s, 360x288, 25 fps: real talking faces. Eleven of
them back to back give a ~33 s "360p talking-face clip", the benchmark case of the pipeline issue.
The output goes outside the repository (default /tmp); nothing from ../shared/data is committed.

Usage: python scripts/make_grid_bench_clip.py [--data ../shared/data] [--out /tmp/grid_bench.mp4]
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import numpy as np

from streammsa.paths import shared_data


def main(argv: list[str] | None = None) -> int:
    import av

    from streammsa.capture.media_file import MediaFileSource
    from streammsa.capture.packets import AudioChunk, VideoFrame

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data())
    parser.add_argument("--out", type=Path, default=Path("/tmp/grid_bench.mp4"))
    args = parser.parse_args(argv)
    clips = sorted((args.data / "grid").glob("*.mpg"))
    if not clips:
        raise SystemExit(f"no GRID clips under {args.data / 'grid'}; pass --data")
    rate, fps = 16000, 25
    with av.open(str(args.out), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 360, 288, "yuv420p"
        v.options = {"crf": "20", "preset": "veryfast"}
        a = out.add_stream("aac", rate=rate)
        a.layout = "mono"
        a_pts = 0
        for clip in clips:
            frames, audio = [], []
            with MediaFileSource(clip) as src:
                for pkt in src:
                    if isinstance(pkt, VideoFrame):
                        frames.append(pkt.image)
                    elif isinstance(pkt, AudioChunk):
                        audio.append(pkt.samples)
            n = int(round(3.0 * fps))  # every clip contributes exactly 3 s so audio and video stay in step
            frames = (frames + frames[-1:] * n)[:n]
            samples = np.concatenate(audio)[: 3 * rate]
            samples = np.pad(samples, (0, 3 * rate - len(samples)))
            for img in frames:
                for p in v.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:288, :360]), format="rgb24")):
                    out.mux(p)
            for s in range(0, len(samples), 1024):
                chunk = samples[s : s + 1024]
                f = av.AudioFrame.from_ndarray(chunk[None, :].astype(np.float32), format="flt", layout="mono")
                f.sample_rate, f.pts, f.time_base = rate, a_pts, Fraction(1, rate)
                a_pts += len(chunk)
                for p in a.encode(f):
                    out.mux(p)
        for p in v.encode():
            out.mux(p)
        for p in a.encode():
            out.mux(p)
    print(f"wrote {args.out} ({3 * len(clips)} s from {len(clips)} GRID clips)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
