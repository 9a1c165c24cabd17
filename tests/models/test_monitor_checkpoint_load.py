"""The committed live checkpoints (models/cacr_monitor.pt, models/dbr_monitor.pt): small, complete, loadable,
and built for exactly the features the monitor's live extractors produce."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from streammsa import MODALITIES
from streammsa.engine.alerts import CALIBRATED_FIELDS, AlertConfig
from streammsa.engine.inference import EngineConfig, InferenceEngine, default_checkpoint_candidates, resolve_checkpoint
from streammsa.features.defaults import default_feature_spec, extractors_from_spec
from streammsa.models.checkpoint import load_model, read_checkpoint
from streammsa.monitor.config import AlertThresholds, MonitorConfig, resolve_alerts
from streammsa.paths import REPO_ROOT
from streammsa.training.dataset import Sample, collate

REPO = REPO_ROOT
CHECKPOINTS = {"cacr": REPO / "models" / "cacr_monitor.pt", "dbr": REPO / "models" / "dbr_monitor.pt"}


@pytest.fixture(params=sorted(CHECKPOINTS), scope="module")
def checkpoint(request) -> Path:
    return CHECKPOINTS[request.param]


def test_default_checkpoint_is_the_committed_cacr_one():
    assert resolve_checkpoint(EngineConfig()) == CHECKPOINTS["cacr"]
    assert REPO / "models" / "cacr_monitor.pt" in default_checkpoint_candidates("cacr")
    assert resolve_checkpoint(EngineConfig(model="dbr")) == CHECKPOINTS["dbr"]


def test_checkpoint_is_small_and_holds_weights_config_spec_metrics_and_code_version(checkpoint):
    assert checkpoint.stat().st_size < 5_000_000  # committed to git
    state = read_checkpoint(checkpoint)
    assert state["model_name"] == checkpoint.stem.split("_")[0]
    assert state["state_dict"] and all(
        torch.isfinite(v).all() for v in state["state_dict"].values() if v.is_floating_point()
    )
    assert state["config"]["d_model"] > 0
    assert state["code_version"]["streammsa"]
    assert state["metrics"]["valid"]["MAE"] > 0 and state["metrics"]["best_epoch"] >= 1
    assert state["metrics"]["test_composed"]["MAE"] > 0
    assert " train --model " in state["train_command"] and f"--out models/{checkpoint.name}" in state["train_command"]
    assert state["training_seconds"] > 0
    spec = state["feature_spec"]
    for m in MODALITIES:  # trained normalisation statistics travel with the spec
        assert spec[m]["mean"] is not None and len(spec[m]["std"]) == spec[m]["dim"]


def test_feature_spec_is_what_the_live_extractors_produce(checkpoint):
    _, meta = load_model(checkpoint)
    spec = meta["spec"]
    live = default_feature_spec()
    assert spec.compatible_with(live) == []
    assert spec.dims == live.dims and (spec.window_s, spec.hop_s) == (live.window_s, live.hop_s)
    enc, aud, vis = extractors_from_spec(spec, num_threads=1)
    try:
        tokens = enc.encode("this meeting went really well")
        assert tokens.shape[1] == spec.text.dim
        frames = aud.extract(np.zeros(16000, dtype=np.float32))
        assert frames.shape[1] == spec.audio.dim
    finally:
        vis.close()


def test_loaded_model_reads_a_window_in_range(checkpoint):
    model, meta = load_model(checkpoint)
    spec = meta["spec"]
    rng = np.random.default_rng(0)
    feats = {m: spec[m].normalise(rng.normal(size=(12, spec[m].dim)).astype(np.float32)) for m in MODALITIES}
    out = model(collate([Sample("w", feats, 0.0)]))
    assert torch.isfinite(out.intensity).all() and out.modality_intensity.shape == (1, 3)


def test_engine_loads_the_default_checkpoint_as_trained():
    eng = InferenceEngine.from_config(EngineConfig(device="cpu"))
    assert eng.trained and eng.name == "cacr" and eng.spec.compatible_with(default_feature_spec()) == []


def test_calibrated_alert_thresholds_are_stored_and_used_unless_overridden(checkpoint):
    calib = read_checkpoint(checkpoint)["alerts"]
    assert set(calib["thresholds"]) == set(CALIBRATED_FIELDS)
    assert "valid split" in calib["fitted_on"] and calib["test"]["negative_window_fpr"] <= 0.2
    engine = EngineConfig(checkpoint=checkpoint)

    def alerts(engine: EngineConfig, thresholds: AlertThresholds = AlertThresholds()) -> AlertConfig:
        ckpt = resolve_checkpoint(engine)
        meta = read_checkpoint(ckpt) if ckpt is not None else {}
        return resolve_alerts(MonitorConfig(engine=engine, thresholds=thresholds), meta)

    cfg = alerts(engine)
    assert cfg == AlertConfig.from_calibration(calib)
    assert cfg.negative_raise == calib["thresholds"]["negative_raise"]
    # the CLI: no flag -> calibrated; a flag replaces that threshold and keeps the calibrated gap
    assert alerts(engine, AlertThresholds(conflict=None, negative=None)) == cfg
    moved = alerts(engine, AlertThresholds(negative=-2.0))
    assert moved.negative_raise == -2.0 and moved.conflict_raise == cfg.conflict_raise
    assert moved.negative_clear - moved.negative_raise == pytest.approx(cfg.negative_clear - cfg.negative_raise)
    # an untrained model has no calibration: the documented defaults
    assert alerts(EngineConfig(untrained=True)) == AlertConfig()
