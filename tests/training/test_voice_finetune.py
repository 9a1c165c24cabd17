"""The encoder's top blocks tuned for the voice reading (training/evaluation/voice_finetune.py): the cached steps read
what the layer reader reads, tuning keeps its best validation epoch and moves only the top blocks, and the tuned
reader's own states (what the conflict evaluation reads clips with) are the tuned model's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.datasets.items import list_items
from streammsa.features.whisper_layers import LayerStates, WhisperEncoder
from streammsa.training.evaluation.voice_finetune import (
    TopBlocks,
    TuneConfig,
    TunedVoiceReader,
    _valid_mae,
    encoder_with,
    features,
    read_steps,
    tune,
)
from streammsa.training.ridge_reader import balanced_weights
from streammsa.training.voice_reader import stream_groups, window_rows

FROZEN = 2


@pytest.fixture(scope="module")
def encoder() -> WhisperEncoder:
    return WhisperEncoder.from_ctranslate2(assets.whisper_tiny_en() / "model.bin")


@pytest.fixture(scope="module")
def items(shared_data):
    """Two RAVDESS streams of one actor (strong happiness and anger), three clips each: a few windows each."""
    groups = stream_groups(list_items(shared_data, corpora=["ravdess"], modalities=["audio"]))
    keys = ["ravdess:actor01|happiness|3", "ravdess:actor01|anger|-3"]
    return [it for k in keys for it in groups[k][:3]]


@pytest.fixture(scope="module")
def steps(items, encoder):
    s = read_steps(items, encoder, FROZEN, log=lambda _: None)
    half = np.arange(len(s.heard)) % 2 == 0  # one actor: alternate windows stand in for the two splits
    return dataclasses.replace(s, windows=dataclasses.replace(s.windows, split=np.where(half, "train", "valid")))


def test_steps_read_what_the_layer_reader_reads(steps, items, encoder, tmp_path):
    x = features(TopBlocks(encoder, FROZEN), steps)
    rows = window_rows(items, tmp_path / "layers.npz", log=lambda _: None, states=LayerStates)
    assert x.shape == rows.x.shape and len(x) >= 4
    np.testing.assert_allclose(x, rows.x, rtol=1e-4, atol=2e-4)


def test_tuning_keeps_its_best_validation_epoch_and_moves_only_the_top(steps, encoder):
    cfg = TuneConfig(frozen=FROZEN, epochs=2, patience=2, windows_per_chunk=2, chunks_per_batch=1)
    model, history = tune(encoder, steps, 3e-4, cfg, log=lambda _: None)
    valid = np.flatnonzero(steps.windows.split == "valid")
    weight = balanced_weights(steps.windows.label[valid], steps.windows.weight[valid])
    assert len(history) == 3 and history[0] > min(history)  # the head alone already beats a zero reading
    assert _valid_mae(model, steps, valid, weight) == pytest.approx(min(history), abs=1e-6)
    state = encoder_with(encoder, model)
    before = encoder.state_dict()
    assert all(torch.equal(state[k], before[k]) for k in before if not k.startswith(("blocks.2", "blocks.3", "norm")))
    assert any(not torch.equal(state[k], before[k]) for k in before if k.startswith("blocks.3"))


def test_the_tuned_readers_states_are_the_tuned_models(steps, items, encoder, tmp_path):
    model = TopBlocks(encoder, FROZEN)
    with torch.no_grad():  # a visible change to the top blocks, as tuning makes
        for p in model.blocks.parameters():
            p.add_(0.05 * torch.randn_like(p))
    reader = TunedVoiceReader(np.zeros(1), np.ones(1), np.zeros(1), 0.0, {})
    reader.encoder_state = encoder_with(encoder, model)
    untuned = TunedVoiceReader(np.zeros(1), np.ones(1), np.zeros(1), 0.0, {})
    untuned.encoder_state = encoder.state_dict()
    assert reader.CACHE_TAG.startswith("-tuned-") and untuned.CACHE_TAG.startswith("-tuned-")
    assert reader.CACHE_TAG != untuned.CACHE_TAG  # each tuned encoder's clip readings are cached apart
    rows = window_rows(items, tmp_path / "tuned.npz", log=lambda _: None, states=reader.states)
    frozen = features(TopBlocks(encoder, FROZEN), steps)
    tuned = features(model, steps)
    np.testing.assert_allclose(tuned, rows.x, rtol=1e-4, atol=2e-4)
    assert np.abs(tuned - frozen).max() > 0.1
