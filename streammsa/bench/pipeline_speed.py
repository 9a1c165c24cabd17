"""Pipeline speed, measured side by side in one process on one clip:

- ``replay --fast`` throughput as a multiple of real time (stream seconds / wall seconds of the run;
  model loading is reported separately, once, because a long-running monitor pays it once);
- paced replay (speed 1.0): end-of-window-to-reading latency p50/p95 (from each reading's
  ``latency_ms``) and word commit latency (committed-at minus word end on the stream clock);
- peak RSS, per-stage busy seconds, encoder-call counts (each frame and each committed segment
  must be encoded once).

The same loaded components serve both runs, so the comparison is not skewed by warm-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from streammsa import log
from streammsa.bench.stats import Timing, peak_rss_mb
from streammsa.paths import demo_clip

_log = log.get("bench.pipeline")


@dataclass
class RunFigures:
    mode: str
    stream_s: float
    wall_s: float
    x_real_time: float
    readings: int
    latency: Timing | None
    word_commit_latency: Timing | None
    counters: dict[str, Any] = field(default_factory=dict)


@dataclass
class PipelineBench:
    file: str
    model: str
    trained: bool
    device: str
    load_s: float
    runs: list[RunFigures]
    peak_rss_mb: float


def _run(path: Path, components: Any, base_cfg: Any, speed: float | None) -> RunFigures:
    from streammsa.monitor import replay_messages

    with tempfile.TemporaryDirectory(prefix="streammsa-bench-") as tmp:
        # the whole recording path runs (timeline + report), as in a real replay
        t0 = time.perf_counter()
        run = replay_messages(
            path, config=base_cfg, fast=speed is None, speed=speed or 1.0, components=components, out_dir=Path(tmp)
        )
        wall = time.perf_counter() - t0
    result, messages, readings = run.result, run.messages, run.readings
    latencies = [m["latency_ms"] / 1000.0 for m in readings if m.get("latency_ms") is not None]
    commit = [
        w["committed_at"] - w["end"]
        for m in messages
        if m["type"] == "transcript" and m["kind"] == "committed"
        for w in m.get("words", [])
        if w.get("committed_at") is not None and w.get("end") is not None
    ]
    return RunFigures(
        mode="fast" if speed is None else f"paced x{speed:g}",
        stream_s=result.duration_s,
        wall_s=wall,
        x_real_time=result.duration_s / wall if wall > 0 else float("nan"),
        readings=len(readings),
        latency=Timing.of(latencies) if latencies else None,
        word_commit_latency=Timing.of(commit) if (commit and speed is not None) else None,
        counters=result.counters,
    )


def measure(path: Path, device: str = "auto", paced: bool = True) -> PipelineBench:
    from streammsa.engine.inference import EngineConfig, default_checkpoint_candidates
    from streammsa.monitor import Components, DashboardConfig, MonitorConfig

    trained = any(p.exists() for p in default_checkpoint_candidates("cacr"))
    cfg = MonitorConfig(
        progress=False,
        engine=EngineConfig(model="cacr", untrained=not trained, device=device),  # type: ignore[arg-type]
        dashboard=DashboardConfig(enabled=False),
    )
    t0 = time.perf_counter()
    components = Components.build(cfg)
    load_s = time.perf_counter() - t0
    runs = [_run(path, components, cfg, None)]
    if paced:
        runs.append(_run(path, components, cfg, 1.0))
    return PipelineBench(
        file=str(path),
        model=components.engine.name,
        trained=components.engine.trained,
        device=str(components.engine.device),
        load_s=load_s,
        runs=runs,
        peak_rss_mb=peak_rss_mb(),
    )


def to_markdown(b: PipelineBench) -> str:
    lines = [
        f"Clip: `{Path(b.file).name}`; model {b.model} ({'trained' if b.trained else 'UNTRAINED'}) on {b.device}; "
        f"components loaded once in {b.load_s:.1f} s; peak RSS {b.peak_rss_mb:,.0f} MB.",
        "",
        "| run | stream (s) | wall (s) | x real time | readings | latency p50 / p95 (ms) | word commit p50 / p95 (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in b.runs:
        lat = f"{r.latency.p50_ms:.0f} / {r.latency.p95_ms:.0f}" if r.latency else "-"
        wc = (
            f"{r.word_commit_latency.p50_ms / 1000:.2f} / {r.word_commit_latency.p95_ms / 1000:.2f}"
            if r.word_commit_latency
            else "-"
        )
        lines.append(
            f"| {r.mode} | {r.stream_s:.1f} | {r.wall_s:.2f} | {r.x_real_time:.1f} | {r.readings} | {lat} | {wc} |"
        )
    lines += ["", "Busy seconds per stage and encoder calls:", ""]
    for r in b.runs:
        c = r.counters
        stage = ", ".join(f"{k} {v:.2f}" for k, v in c.get("stage_s", {}).items())
        calls = []
        if "text_cache" in c:
            tc = c["text_cache"]
            calls.append(f"text segments encoded {tc.get('encoded')} (reused {tc.get('reused')})")
        if "frames_analysed" in c:
            calls.append(
                f"face frames analysed {c['frames_analysed']} of {c.get('frames_seen')} seen, faces {c.get('faces')}"
            )
        if "audio_cache" in c:
            calls.append(f"audio frames {c['audio_cache'].get('appended', c['audio_cache'])}")
        calls.append(f"model batches {c.get('batches')} for {c.get('windows')} windows")
        lines.append(f"- {r.mode}: {stage}; {'; '.join(calls)}")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    from streammsa.errors import InputError

    path = Path(args.file) if args.file else demo_clip()
    if not path.exists():
        hint = "run: bash scripts/setup.sh (it makes the demo clip)" if not args.file else "check the path"
        raise InputError(f"cannot benchmark {path}: no such file; {hint}")
    b = measure(path, device=args.device, paced=not args.skip_paced)
    if args.json:
        json.dump(asdict(b), sys.stdout, indent=2, default=str)
        print()
    else:
        print(to_markdown(b))
    return 0
