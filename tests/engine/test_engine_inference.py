"""Model policy (trained checkpoint / --untrained / refuse) and batched inference on the default spec."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa.cli import main
from streammsa.engine import inference
from streammsa.engine.inference import EngineConfig, InferenceEngine
from streammsa.engine.windowing import Window, WindowInputs, collate
from streammsa.errors import InputError, UsageError
from streammsa.features.defaults import default_feature_spec
from streammsa.models.checkpoint import save_checkpoint
from streammsa.models.device import resolve_device


@pytest.fixture
def no_default_checkpoint(tmp_path, monkeypatch):
    # neither ./models nor the repository's models/ may hold a checkpoint for this test
    monkeypatch.setattr(
        inference, "default_checkpoint_candidates", lambda model: [tmp_path / "models" / f"{model}_monitor.pt"]
    )


def windows(spec, n=5, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        feats = {}
        for m in ("text", "audio", "vision"):
            steps = 0 if (m == "vision" and i % 2) else int(rng.integers(3, 30))
            feats[m] = rng.standard_normal((steps, spec[m].dim)).astype(np.float32)
        out.append(WindowInputs(Window("s", i, max(0.0, i - 3.0), i + 1.0), feats))
    return out


def test_without_a_checkpoint_the_engine_refuses_with_the_way_forward(no_default_checkpoint):
    with pytest.raises(UsageError) as exc:
        InferenceEngine.from_config(EngineConfig(model="cacr"))
    msg = str(exc.value)
    assert "no trained checkpoint" in msg and "--checkpoint PATH" in msg and "--untrained" in msg
    assert "\n" not in msg and exc.value.exit_code == 2


@pytest.mark.data
def test_replay_without_checkpoint_exits_2_with_one_line(no_default_checkpoint, grid_clip, capsys):
    assert main(["replay", str(grid_clip), "--fast", "--no-dashboard", "--out", "unused"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--untrained" in err[0]


@pytest.mark.parametrize("name", ["cacr", "dbr"])
def test_untrained_model_is_flagged_and_batches_match_single_windows(no_default_checkpoint, name):
    eng = InferenceEngine.from_config(EngineConfig(model=name, untrained=True, device="cpu", max_batch=2))
    assert eng.trained is False and eng.name == name and eng.device.type == "cpu"
    ws = windows(eng.spec)
    together = eng.run(collate(ws, eng.spec))
    assert together.intensity.shape == (5,) and eng.batches_run == 3  # 5 windows in chunks of 2
    alone = [eng.run(collate([w], eng.spec)) for w in ws]
    for i, o in enumerate(alone):
        torch.testing.assert_close(together.intensity[i], o.intensity[0], atol=1e-4, rtol=1e-4)
        assert together.present[i].tolist() == [True, True, i % 2 == 0]


def test_untrained_weights_are_seeded(no_default_checkpoint):
    a = InferenceEngine.from_config(EngineConfig(untrained=True, device="cpu"))
    b = InferenceEngine.from_config(EngineConfig(untrained=True, device="cpu"))
    batch = collate(windows(a.spec, 2), a.spec)
    torch.testing.assert_close(a.run(batch).intensity, b.run(batch).intensity)


def test_a_checkpoint_is_trained_and_brings_its_feature_spec(tmp_path, no_default_checkpoint):
    spec = default_feature_spec(window_s=3.0, hop_s=0.5)
    from streammsa.models.registry import build_model

    model = build_model("dbr", spec.dims)
    path = save_checkpoint(tmp_path / "dbr.pt", model, spec, metrics={"mae": 1.0})
    eng = InferenceEngine.from_config(EngineConfig(checkpoint=path, device="cpu"))
    assert eng.trained is True and eng.name == "dbr"
    assert (eng.spec.window_s, eng.spec.hop_s) == (3.0, 0.5)
    # the default location is used when no --checkpoint is given
    (tmp_path / "models").mkdir()
    path.rename(tmp_path / "models" / "cacr_monitor.pt")
    eng2 = InferenceEngine.from_config(EngineConfig(model="cacr", device="cpu"))
    assert eng2.trained and eng2.name == "dbr"


def test_bad_checkpoint_and_device_choices_are_one_line_errors(tmp_path):
    with pytest.raises(InputError):
        InferenceEngine.from_config(EngineConfig(checkpoint=tmp_path / "missing.pt"))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError):
        InferenceEngine.from_config(EngineConfig(checkpoint=junk))
    with pytest.raises(UsageError):
        InferenceEngine.from_config(EngineConfig(model="nope", untrained=True, device="cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(UsageError):
            resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"


CPU_THREADS = """
import sys
from threadpoolctl import threadpool_info
import torch
from streammsa.engine.inference import EngineConfig, InferenceEngine
InferenceEngine.from_config(EngineConfig(untrained=True, device="cpu", cpu_threads=int(sys.argv[1])))
print(torch.get_num_threads(), *sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}))
"""


@pytest.mark.parametrize("threads", [1, 2])
def test_the_engines_cpu_threads_set_torchs_and_numpys_blas_threads(threads):
    # numpy's OpenBLAS kept one thread per core beside the monitor's stages, and its spare thread spun waiting for
    # their small matrix products (0.5 CPU-s of a 33-s --fast replay): the engine's setting holds for both libraries
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", CPU_THREADS, str(threads)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(threads), str(threads)]
