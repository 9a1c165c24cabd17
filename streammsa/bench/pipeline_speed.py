"""Pipeline speed, measured side by side in one process on one clip:

- ``replay --fast`` throughput as a multiple of real time (stream seconds / wall seconds of the run;
  model loading is reported separately, once, because a long-running monitor pays it once; so are the
  first calls, timed apart as a ``warmup`` --fast run of the same clip before the others:
  torch's and CTranslate2's first passes and the report's plotting import, 0.9-1.7 CPU-s on 2 cores);
- paced replay (speed 1.0): end-of-window-to-reading latency p50/p95 (from each reading's
  ``latency_ms``) and word commit latency (committed-at minus word end on the stream clock);
- peak RSS of each run, per-stage busy seconds, encoder-call counts (each frame and each committed
  segment must be encoded once);
- start-up to first reading of a fresh ``streammsa replay`` process (``bench/startup.py``).

The same loaded components serve both runs, so the comparison is not skewed by warm-up.
``to_dict`` is the ``--json`` output: ``{"startup_s", "runs": {"fast": {...}, "paced": {...}}, ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammsa import log
from streammsa.bench.stats import Timing, peak_rss_mb, reset_peak_rss
from streammsa.paths import demo_clip

_log = log.get("bench.pipeline")


@dataclass
class RunFigures:
    mode: str  # "fast" | "paced"
    speed: float | None  # None: --fast
    stream_s: float
    wall_s: float
    cpu_s: float  # CPU seconds of every thread of the process during the run (less sensitive to a shared machine)
    x_real_time: float
    readings: int
    latency: Timing | None  # end of window -> reading
    word_commit_latency: Timing | None  # word end -> committed (paced only: --fast commits in blocks)
    peak_rss_mb: float  # during this run (the process's peak so far where it cannot be reset)
    counters: dict[str, Any] = field(default_factory=dict)
    # end of window -> the reading as it finally stood (its last revision: words, and in a meeting the
    # person's voice, joined); paced only
    final_latency: Timing | None = None

    def to_dict(self) -> dict[str, Any]:
        lat, wc = self.latency, self.word_commit_latency
        return {
            "speed": self.speed,
            "stream_s": round(self.stream_s, 3),
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "x_real_time": round(self.x_real_time, 2),
            "readings": self.readings,
            "reading_latency_ms": {"p50": round(lat.p50_ms, 1), "p95": round(lat.p95_ms, 1)} if lat else None,
            "word_commit_s": {"p50": round(wc.p50_ms / 1000, 3), "p95": round(wc.p95_ms / 1000, 3)} if wc else None,
            "final_latency_ms": (
                {"p50": round(self.final_latency.p50_ms, 1), "p95": round(self.final_latency.p95_ms, 1)}
                if self.final_latency
                else None
            ),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "stage_s": self.counters.get("stage_s", {}),
            "counters": {k: v for k, v in self.counters.items() if k != "stage_s"},
        }


@dataclass
class PipelineBench:
    file: str
    model: str
    trained: bool
    device: str
    load_s: float
    runs: list[RunFigures]
    peak_rss_mb: float
    startup_s: float | None = None  # launch of `streammsa replay FILE` -> its first reading
    startup_window_end_s: float | None = None  # stream time the first reading's window ends at
    participants: int | None = None  # None: one stream; 0: a meeting, people found automatically; N: N expected
    warmup: RunFigures | None = None  # a --fast run before the timed ones: what a process's first run costs

    def to_dict(self) -> dict[str, Any]:
        w = self.warmup
        return {
            "file": self.file,
            "participants": self.participants,
            "model": self.model,
            "trained": self.trained,
            "device": self.device,
            "load_s": round(self.load_s, 3),
            "startup_s": None if self.startup_s is None else round(self.startup_s, 3),
            "startup_window_end_s": self.startup_window_end_s,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "runs": {r.mode: r.to_dict() for r in self.runs},
            "warmup": None
            if w is None
            else {"x_real_time": round(w.x_real_time, 2), "wall_s": round(w.wall_s, 3), "cpu_s": round(w.cpu_s, 3)},
        }


def _run(path: Path, components: Any, base_cfg: Any, speed: float | None) -> RunFigures:
    from streammsa.monitor import replay_messages

    reset_peak_rss()
    with tempfile.TemporaryDirectory(prefix="streammsa-bench-") as tmp:
        # the whole recording path runs (timeline + report), as in a real replay
        t0, c0 = time.perf_counter(), time.process_time()
        run = replay_messages(
            path, config=base_cfg, fast=speed is None, speed=speed or 1.0, components=components, out_dir=Path(tmp)
        )
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    result, messages, readings = run.result, run.messages, run.readings
    latencies = [m["latency_ms"] / 1000.0 for m in readings if m.get("latency_ms") is not None]
    finals = [
        (m.get("update_latency_ms") or m["latency_ms"]) / 1000.0 for m in readings if m.get("latency_ms") is not None
    ]
    commit = [
        w["committed_at"] - w["end"]
        for m in messages
        if m["type"] == "transcript" and m["kind"] == "committed"
        for w in m.get("words", [])
        if w.get("committed_at") is not None and w.get("end") is not None
    ]
    return RunFigures(
        mode="fast" if speed is None else "paced",
        speed=speed,
        stream_s=result.duration_s,
        wall_s=wall,
        cpu_s=cpu,
        x_real_time=result.duration_s / wall if wall > 0 else float("nan"),
        readings=len(readings),
        latency=Timing.of(latencies) if latencies else None,
        word_commit_latency=Timing.of(commit) if (commit and speed is not None) else None,
        final_latency=Timing.of(finals) if (finals and speed is not None) else None,
        peak_rss_mb=peak_rss_mb(),
        counters=result.counters,
    )


def measure(
    path: Path, device: str = "auto", paced: bool = True, startup: bool = True, participants: int | None = None
) -> PipelineBench:
    from streammsa.bench.startup import measure_startup
    from streammsa.engine.inference import EngineConfig, default_checkpoint_candidates
    from streammsa.monitor import Components, DashboardConfig, MonitorConfig

    trained = any(p.exists() for p in default_checkpoint_candidates("cacr"))
    cfg = MonitorConfig(
        progress=False,
        engine=EngineConfig(model="cacr", untrained=not trained, device=device),  # type: ignore[arg-type]
        dashboard=DashboardConfig(enabled=False),
        participants=participants,
    )
    t0 = time.perf_counter()
    components = Components.build(cfg).wait()
    components.asr_backend.preload(fast=True)  # both runs' decoders, so neither run times a model load
    components.asr_backend.preload(fast=False)
    load_s = time.perf_counter() - t0
    load_peak = peak_rss_mb()  # each run resets the peak: keep loading's
    # a process's first run also pays first calls (torch's and CTranslate2's first passes, the report's plotting
    # import): a long-running monitor or an archive pays them once, so they are timed apart, as loading is
    warmup = _run(path, components, cfg, None)
    runs = [_run(path, components, cfg, None)]
    if paced:
        runs.append(_run(path, components, cfg, 1.0))
    bench = PipelineBench(
        file=str(path),
        model=components.engine.name,
        trained=components.engine.trained,
        device=str(components.engine.device),
        load_s=load_s,
        runs=runs,
        peak_rss_mb=max([load_peak, warmup.peak_rss_mb] + [r.peak_rss_mb for r in runs]),
        participants=participants,
        warmup=warmup,
    )
    if startup:
        # a separate process: this one has every library imported and every model loaded already
        args = ["--device", device] + ([] if trained else ["--untrained"])
        if participants is not None:
            args += ["--participants", str(participants or "auto")]
        s = measure_startup(path, args)
        bench.startup_s, bench.startup_window_end_s = s.first_reading_s, s.window_end_s
    return bench


def to_markdown(b: PipelineBench) -> str:
    startup = (
        f"start-up to first reading {b.startup_s:.2f} s (a fresh `streammsa replay`; its window ends at "
        f"{b.startup_window_end_s:g} s of stream)"
        if b.startup_s is not None
        else "start-up not measured"
    )
    lines = [
        f"Clip: `{Path(b.file).name}`; model {b.model} ({'trained' if b.trained else 'UNTRAINED'}) on {b.device}; "
        f"components loaded once in {b.load_s:.1f} s; {startup}; peak RSS {b.peak_rss_mb:,.0f} MB."
        + (
            f" A first --fast run (first calls included, not in the table): {b.warmup.x_real_time:.1f}x real time, "
            f"{b.warmup.cpu_s:.2f} CPU-s."
            if b.warmup
            else ""
        ),
        "",
        "| run | stream (s) | wall (s) | CPU (s) | x real time | readings | latency p50 / p95 (ms) "
        "| final reading p50 / p95 (ms) | word commit p50 / p95 (s) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in b.runs:
        lat = f"{r.latency.p50_ms:.0f} / {r.latency.p95_ms:.0f}" if r.latency else "-"
        fin = f"{r.final_latency.p50_ms:.0f} / {r.final_latency.p95_ms:.0f}" if r.final_latency else "-"
        wc = (
            f"{r.word_commit_latency.p50_ms / 1000:.2f} / {r.word_commit_latency.p95_ms / 1000:.2f}"
            if r.word_commit_latency
            else "-"
        )
        name = r.mode if r.speed is None else f"{r.mode} x{r.speed:g}"
        lines.append(
            f"| {name} | {r.stream_s:.1f} | {r.wall_s:.2f} | {r.cpu_s:.2f} | {r.x_real_time:.1f} | {r.readings} "
            f"| {lat} | {fin} | {wc} | {r.peak_rss_mb:,.0f} |"
        )
    lines += ["", "Busy seconds per stage and encoder calls:", ""]
    for r in b.runs:
        lines.append(f"- {r.mode}: {_stage_line(r.counters)}")
    return "\n".join(lines)


def _stage_line(c: dict[str, Any]) -> str:
    stage = ", ".join(f"{k} {v:.2f}" for k, v in c.get("stage_s", {}).items())
    calls = []
    if "text_cache" in c:
        tc = c["text_cache"]
        calls.append(f"text segments encoded {tc.get('encoded')} (reused {tc.get('reused')})")
    if "frames_analysed" in c:
        calls.append(
            f"face frames analysed {c['frames_analysed']} of {c.get('frames_seen')} decoded, faces {c.get('faces')}"
        )
    if "audio_cache" in c:
        calls.append(f"audio frames {c['audio_cache'].get('appended', c['audio_cache'])}")
    calls.append(f"model batches {c.get('batches')} for {c.get('windows')} windows")
    return f"{stage}; {'; '.join(calls)}"


def run_cli(args: argparse.Namespace) -> int:
    from streammsa.errors import InputError

    path = Path(args.file) if args.file else demo_clip()
    if not path.exists():
        hint = "run: bash scripts/setup.sh (it makes the demo clip)" if not args.file else "check the path"
        raise InputError(f"cannot benchmark {path}: no such file; {hint}")
    b = measure(
        path,
        device=args.device,
        paced=not args.skip_paced,
        startup=not args.skip_startup,
        participants=getattr(args, "participants", None),
    )
    if args.json:
        json.dump(b.to_dict(), sys.stdout, indent=2, default=str)
        print()
    else:
        print(to_markdown(b))
    return 0
