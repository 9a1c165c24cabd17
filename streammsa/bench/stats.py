"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Timing:
    """Wall-clock statistics of repeated calls, in milliseconds."""

    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float

    @classmethod
    def of(cls, samples_s: list[float]) -> "Timing":
        ms = sorted(s * 1000.0 for s in samples_s)
        return cls(n=len(ms), p50_ms=percentile(ms, 50), p95_ms=percentile(ms, 95), mean_ms=statistics.fmean(ms))


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile of an already sorted list (numpy's default method)."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def time_calls(
    fn: Callable[[], object], repeats: int, warmup: int = 3, sync: Callable[[], None] | None = None
) -> Timing:
    for _ in range(warmup):
        fn()
    if sync:
        sync()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        samples.append(time.perf_counter() - t0)
    return Timing.of(samples)


def reset_peak_rss() -> bool:
    """Start a new peak for ``peak_rss_mb()`` (Linux: writing 5 to /proc/self/clear_refs resets the peak,
    VmHWM and ru_maxrss alike); False where that is not possible (the peak then stays the process's so far)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak resident set size in MB since the process started or the last ``reset_peak_rss()``.

    Linux: VmHWM of /proc/self/status, which the reset clears; ``ru_maxrss`` also keeps the peak of
    threads that have exited, so it never comes down in a long-lived process (elsewhere it is the fallback).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB
