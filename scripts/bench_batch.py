"""Batch throughput (files/hour, x real time) for 1 and 2 local workers on real clips.

The figures of docs/benchmarks.md, "Batch". Copies GRID (11 talking-face clips) and the first RAVDESS actor's first
N audio clips into one folder, runs `streammsa batch` on it once per worker count (fresh output
folder each time: nothing skipped), and prints one Markdown row per run.

    .venv/bin/python scripts/bench_batch.py [--workers 1 2] [--ravdess 20] [--work /tmp/streammsa-bench-batch]
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from streammsa.batch import BatchConfig, run_batch
from streammsa.paths import shared_data


def build_inputs(work: Path, n_ravdess: int) -> Path:
    data = shared_data()
    src = work / "in"
    shutil.rmtree(src, ignore_errors=True)
    (src / "grid").mkdir(parents=True)
    (src / "ravdess").mkdir()
    for f in sorted((data / "grid").glob("*.mpg")):
        shutil.copy2(f, src / "grid" / f.name)
    for f in sorted((data / "ravdess" / "audio" / "Actor_01").glob("*.flac"))[:n_ravdess]:
        shutil.copy2(f, src / "ravdess" / f.name)
    return src


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ravdess", type=int, default=20, help="RAVDESS clips added to the 11 GRID clips")
    ap.add_argument("--work", type=Path, default=Path("/tmp/streammsa-bench-batch"))
    args = ap.parse_args()
    src = build_inputs(args.work, args.ravdess)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| workers | files | media (s) | wall (s) | files/hour | x real time | per worker, per file (x real time) |")
    print("|---|---|---|---|---|---|---|")
    for n in args.workers:
        out = args.work / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        rep = run_batch(BatchConfig(inputs=str(src), out_dir=out, workers=n, progress=False))
        busy = sum(r.wall_s for r in rep.results)
        per_worker = rep.media_s / busy if busy else float("nan")
        print(
            f"| {n} | {rep.processed} ({rep.failed} failed) | {rep.media_s:.1f} | {rep.wall_s:.1f} | "
            f"{rep.files_per_hour:.0f} | {rep.x_realtime:.2f} | {per_worker:.2f} |"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
