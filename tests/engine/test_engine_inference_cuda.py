"""The inference engine on a CUDA GPU: model resident on the device, autocast, batches across streams.

Skipped where there is no GPU (CI); run on a GPU machine to check the CUDA path."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from streammsa.engine.inference import EngineConfig, InferenceEngine
from streammsa.engine.windowing import Window, WindowInputs, collate

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def windows(spec, n, streams=("a", "b", "c")):
    rng = np.random.default_rng(1)
    out = []
    for i in range(n):
        feats = {
            m: rng.standard_normal(
                (int(rng.integers(5, 60)) if not (m == "vision" and i % 3 == 0) else 0, spec[m].dim)
            ).astype(np.float32)
            for m in ("text", "audio", "vision")
        }
        out.append(WindowInputs(Window(streams[i % len(streams)], i, 0.0, 4.0), feats))
    return out


@pytest.mark.parametrize("name", ["cacr", "dbr"])
def test_cuda_autocast_matches_cpu_and_batches_across_streams(name):
    gpu = InferenceEngine.from_config(EngineConfig(model=name, untrained=True, device="auto", max_batch=64))
    cpu = InferenceEngine.from_config(EngineConfig(model=name, untrained=True, device="cpu"))
    assert gpu.device.type == "cuda" and gpu.amp_dtype in (torch.bfloat16, torch.float16)
    assert next(gpu.model.parameters()).device.type == "cuda"
    ws = windows(gpu.spec, 48)
    batch = collate(ws, gpu.spec)
    out_g, out_c = gpu.run(batch), cpu.run(batch)
    assert out_g.intensity.device.type == "cpu" and out_g.intensity.dtype == torch.float32
    assert out_g.present.tolist() == out_c.present.tolist()
    # bf16/fp16 autocast against fp32: close, not identical
    torch.testing.assert_close(out_g.intensity, out_c.intensity, atol=0.1, rtol=0.1)
    torch.testing.assert_close(out_g.conflict, out_c.conflict, atol=0.1, rtol=0.1)
    for n in (1, 8, 48):
        b = collate(ws[:n], gpu.spec)
        gpu.run(b)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(10):
            gpu.run(b)
        dt = (time.perf_counter() - t0) / 10
        print(f"{name} cuda {gpu.amp_dtype}: batch {n}: {dt * 1000:.2f} ms per forward, {n / dt:.0f} windows/s")
