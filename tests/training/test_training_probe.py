"""The emotion probe reads a real model's fused representation and recovers emotion it encodes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.training_data import DIMS, synthetic_spec

from streammsa import MODALITIES
from streammsa.models import build_model
from streammsa.training.dataset import MSADataset, Sample
from streammsa.training.probe import emotion_probe_accuracy, final_head, representations


def _emotion_coded(n: int, seed: int) -> MSADataset:
    """Emotion k shifts the vision features along a fixed direction: linearly decodable."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(4, DIMS["vision"])) * 3
    samples = []
    for i in range(n):
        k = i % 4
        feats = {m: rng.normal(size=(3, DIMS[m])).astype(np.float32) for m in MODALITIES}
        feats["vision"] = (centres[k] + 0.3 * rng.normal(size=(2, DIMS["vision"]))).astype(np.float32)
        samples.append(Sample(id=f"{seed}_{i}", features=feats, label=0.0, emotion=k))
    return MSADataset(samples, synthetic_spec())


@pytest.mark.parametrize("name", ["cacr", "dbr", "late_fusion", "vision_only"])
def test_probe_finds_each_models_final_head(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, {"d_model": 16, "heads": 2})
    ds = _emotion_coded(10, 1)
    reps = representations(model, ds, torch.device("cpu"))
    head = final_head(model)
    first_layer = next(m for m in head.modules() if isinstance(m, torch.nn.Linear))
    assert reps.shape == (10, first_layer.in_features)


def test_probe_recovers_linearly_coded_emotion_and_is_at_chance_without_it():
    torch.manual_seed(0)
    model = build_model("late_fusion", DIMS, {"d_model": 16, "heads": 2})
    acc = emotion_probe_accuracy(model, _emotion_coded(160, 1), _emotion_coded(80, 2), torch.device("cpu"))
    assert acc > 0.9
    shuffled = _emotion_coded(80, 3)
    for s, k in zip(shuffled.samples, np.random.default_rng(5).permutation([s.emotion for s in shuffled.samples])):
        s.emotion = int(k)
    assert emotion_probe_accuracy(model, _emotion_coded(160, 1), shuffled, torch.device("cpu")) < 0.5


def test_probe_needs_emotion_ids():
    ds = _emotion_coded(8, 1)
    ds.samples[0].emotion = -1
    model = build_model("late_fusion", DIMS, {"d_model": 16, "heads": 2})
    with pytest.raises(ValueError, match="emotion id"):
        emotion_probe_accuracy(model, ds, ds, torch.device("cpu"))
