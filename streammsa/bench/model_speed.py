"""Model speed: parameter count, batch-1 latency and batch-64 throughput of one window on CPU;
batch-256 latency in fp32 / bf16 / fp16 autocast on CUDA when a GPU is present.

Inputs are random tensors shaped like one live window of the given FeatureSpec (speed does not
depend on values). Text length is fixed at ``text_tokens`` (4 s of speech is about 10-12 words,
14-18 word pieces; 24 leaves headroom).
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, field

import torch

from streammsa import MODALITIES
from streammsa.bench.stats import Timing, time_calls
from streammsa.features.spec import FeatureSpec
from streammsa.models.io import MSABatch


@dataclass
class ModelSpeed:
    model: str
    params: int
    device: str
    threads: int
    batch1: Timing
    batch64_windows_per_s: float
    cuda: dict[str, dict] = field(
        default_factory=dict
    )  # precision -> {"batch": 256, "p50_ms": ..., "windows_per_s": ...}


def window_shapes(spec: FeatureSpec, text_tokens: int = 24) -> dict[str, int]:
    steps = {"text": text_tokens}
    for m in ("audio", "vision"):
        steps[m] = max(1, int(round(spec.window_s * spec[m].rate_hz)))
    return steps


def random_batch(spec: FeatureSpec, batch: int, device: str, text_tokens: int = 24, seed: int = 0) -> MSABatch:
    g = torch.Generator().manual_seed(seed)
    steps = window_shapes(spec, text_tokens)
    feats = {m: torch.randn(batch, steps[m], spec[m].dim, generator=g) for m in MODALITIES}
    return MSABatch.build(feats).to(device)


def measure(name: str, spec: FeatureSpec, repeats: int = 200, cuda_batch: int = 256) -> ModelSpeed:
    from streammsa.models.registry import build_model

    model = build_model(name, spec.dims).eval()
    params = sum(p.numel() for p in model.parameters())
    b1 = random_batch(spec, 1, "cpu")
    b64 = random_batch(spec, 64, "cpu")
    with torch.inference_mode():
        t1 = time_calls(lambda: model(b1), repeats=repeats, warmup=10)
        t64 = time_calls(lambda: model(b64), repeats=max(5, repeats // 20), warmup=2)
    result = ModelSpeed(
        model=name,
        params=params,
        device="cpu",
        threads=torch.get_num_threads(),
        batch1=t1,
        batch64_windows_per_s=64.0 / (t64.p50_ms / 1000.0),
    )
    if torch.cuda.is_available():
        result.cuda = measure_cuda(model, spec, cuda_batch, repeats)
    return result


def measure_cuda(model: torch.nn.Module, spec: FeatureSpec, batch: int, repeats: int) -> dict[str, dict]:
    model = model.to("cuda")
    out: dict[str, dict] = {}
    big = random_batch(spec, batch, "cuda")
    one = random_batch(spec, 1, "cuda")
    for precision, dtype in (("fp32", None), ("bf16", torch.bfloat16), ("fp16", torch.float16)):

        def run(b: MSABatch) -> None:
            with (
                torch.inference_mode(),
                torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None),
            ):
                model(b)

        tb = time_calls(lambda: run(big), repeats=repeats, warmup=10, sync=torch.cuda.synchronize)
        t1 = time_calls(lambda: run(one), repeats=repeats, warmup=10, sync=torch.cuda.synchronize)
        out[precision] = {
            "batch": batch,
            "p50_ms": tb.p50_ms,
            "p95_ms": tb.p95_ms,
            "windows_per_s": batch / (tb.p50_ms / 1000.0),
            "batch1_p50_ms": t1.p50_ms,
        }
    out["device_name"] = {"name": torch.cuda.get_device_name(0)}
    out["streams"] = stream_capacity(model, spec, "cuda", torch.bfloat16)
    return out


def stream_capacity(
    model: torch.nn.Module,
    spec: FeatureSpec,
    device: str,
    dtype: torch.dtype | None,
    budget_ms: float = 150.0,
    max_batch: int = 16384,
) -> dict[str, float]:
    """How many concurrent streams, each emitting one window per hop, the model alone sustains.

    Every hop the engine batches one window per stream into a single forward, so N streams are
    sustained while a batch-N forward fits in the hop; the latency goal (``budget_ms`` end of
    window to reading) is stricter. Doubling search on N; feature extraction is not included.
    """
    hop_ms = spec.hop_s * 1000.0
    best_hop, best_budget, n = 0, 0, 64
    while n <= max_batch:
        b = random_batch(spec, n, device)

        def run() -> None:
            with (
                torch.inference_mode(),
                torch.autocast(device, dtype=dtype or torch.float32, enabled=dtype is not None),
            ):
                model(b)

        sync = torch.cuda.synchronize if device == "cuda" else None
        try:
            t = time_calls(run, repeats=10, warmup=2, sync=sync)
        except torch.OutOfMemoryError:  # memory, not time, is the limit from here on
            torch.cuda.empty_cache()
            break
        finally:
            del b
        if t.p95_ms <= hop_ms:
            best_hop = n
        if t.p95_ms <= budget_ms:
            best_budget = n
        if t.p95_ms > hop_ms:
            break
        n *= 2
    if device == "cuda":
        torch.cuda.empty_cache()
    return {
        "max_batch_tried": max_batch,
        "streams_within_hop": best_hop,
        "streams_within_latency_budget": best_budget,
        "budget_ms": budget_ms,
    }


def environment() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "threads": str(torch.get_num_threads()),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
    }


def to_markdown(results: list[ModelSpeed], spec: FeatureSpec) -> str:
    steps = window_shapes(spec)
    lines = [
        f"Window: {spec.window_s:g} s -> text {steps['text']} tokens x {spec.text.dim}, "
        f"audio {steps['audio']} x {spec.audio.dim}, vision {steps['vision']} x {spec.vision.dim}.",
        "",
        "| model | params | CPU batch-1 p50 (ms) | p95 (ms) | CPU batch-64 (windows/s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.model} | {r.params:,} | {r.batch1.p50_ms:.2f} | {r.batch1.p95_ms:.2f} "
            f"| {r.batch64_windows_per_s:,.0f} |"
        )
    gpu = [r for r in results if r.cuda]
    if gpu:
        lines += [
            "",
            f"GPU: {gpu[0].cuda['device_name']['name']}",
            "",
            "| model | precision | batch | p50 (ms) | p95 (ms) | windows/s | batch-1 p50 (ms) |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in gpu:
            for prec in ("fp32", "bf16", "fp16"):
                c = r.cuda[prec]
                lines.append(
                    f"| {r.model} | {prec} | {c['batch']} | {c['p50_ms']:.2f} | {c['p95_ms']:.2f} "
                    f"| {c['windows_per_s']:,.0f} | {c['batch1_p50_ms']:.2f} |"
                )
        lines += [
            "",
            "Concurrent 1-Hz streams the model alone sustains on the GPU (bf16; one batched forward per hop; "
            "power-of-two search; feature extraction not included):",
            "",
            "| model | within the 1-s hop | within the 150-ms latency goal |",
            "|---|---:|---:|",
        ]
        for r in gpu:
            s = r.cuda["streams"]
            lines.append(f"| {r.model} | {s['streams_within_hop']:,} | {s['streams_within_latency_budget']:,} |")
    return "\n".join(lines)


def as_dict(results: list[ModelSpeed]) -> list[dict]:
    return [asdict(r) for r in results]
