"""Forward latency of every registered model on one live-sized window (CPU, batch 1 by default).

    python -m streammsa.models.benchmark [--threads 1] [--batch 1] [--repeats 200]

The window mirrors the live extractors' sizes for 4 s: ~24 text tokens x 384, ~100 audio
frames x 60, ~40 face frames x 62. A speed target lives here, never in a timed unit test.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from streammsa import MODALITIES
from streammsa.models import MSABatch, available, build_model

WINDOW = {"text": (24, 384), "audio": (100, 60), "vision": (40, 62)}


def measure(name: str, batch_size: int, repeats: int) -> tuple[int, float, float]:
    """(parameter count, median ms, 90th percentile ms) of an inference-mode forward."""
    torch.manual_seed(0)
    model = build_model(name, {m: WINDOW[m][1] for m in MODALITIES}).eval()
    feats = {m: torch.randn(batch_size, *WINDOW[m]) for m in MODALITIES}
    batch = MSABatch.build(feats)
    times = []
    with torch.inference_mode():
        for _ in range(10):
            model(batch)
        for _ in range(repeats):
            start = time.perf_counter()
            model(batch)
            times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    params = sum(p.numel() for p in model.parameters())
    return params, statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("models", nargs="*", default=available())
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"{'model':12s} {'params':>9s} {'median ms':>10s} {'p90 ms':>8s}  "
          f"(batch {args.batch}, {args.threads} thread(s))")
    for name in args.models:
        params, median, p90 = measure(name, args.batch, args.repeats)
        print(f"{name:12s} {params:9d} {median:10.2f} {p90:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
