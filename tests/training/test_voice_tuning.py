"""The encoder's top blocks tuned for the voice reading (training/voice_tuning.py): the cached steps read what the
layer reader reads, tuning keeps its best validation epoch and moves only the top blocks, and the tuned reader's own
states (what the monitor and the conflict evaluation read voices with) are the tuned model's, after a save and load;
the shipped fit leaves the validation speakers out of the ridge, and a reader's stored blocks come back as they were."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.datasets.items import list_items
from streammsa.features.whisper_layers import LayerStates, WhisperEncoder
from streammsa.models.voice_reader import VoiceReader, file_states_dim
from streammsa.training.ridge_reader import balanced_weights
from streammsa.training.voice_reader import fit, stream_groups, window_rows
from streammsa.training.voice_tuning import (
    TopBlocks,
    TuneConfig,
    _valid_mae,
    features,
    read_steps,
    ridge_reader,
    top_blocks_with,
    tune,
    tuned_part,
)

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
    state = tuned_part(model)
    before = encoder.state_dict()
    assert set(state) == {k for k in before if k.startswith(("blocks.2.", "blocks.3.", "norm."))}
    assert any(not np.array_equal(state[k], before[k].numpy()) for k in state if k.startswith("blocks.3"))


def test_the_tuned_readers_states_are_the_tuned_models(steps, items, encoder, tmp_path):
    model = TopBlocks(encoder, FROZEN)
    with torch.no_grad():  # a visible change to the top blocks, as tuning makes
        for p in model.blocks.parameters():
            p.add_(0.05 * torch.randn_like(p))
    tuned = features(model, steps)
    fitted, _ = ridge_reader(_all_splits(steps), tuned, {"fitted": "test"}, tuned_part(model))
    path = fitted.save(tmp_path / "voice_reader.npz", VoiceReader.base_file())
    reader = VoiceReader.load_default(path)  # the tuned blocks travel in the reader's file
    assert reader.CACHE_TAG.startswith("-tuned-") and reader.CACHE_TAG == fitted.CACHE_TAG
    assert file_states_dim(path) == reader.states().dim == 5 * 384
    rows = window_rows(items, tmp_path / "tuned.npz", log=lambda _: None, states=reader.states)
    np.testing.assert_allclose(tuned, rows.x, rtol=1e-4, atol=2e-4)
    assert np.abs(tuned - features(TopBlocks(encoder, FROZEN), steps)).max() > 0.1
    np.testing.assert_allclose(reader.read_pooled(rows.x), fitted.read_pooled(tuned), atol=1e-3)


def test_the_ridge_leaves_the_validation_speakers_out_unless_asked(steps, encoder):
    x = features(TopBlocks(encoder, FROZEN), steps)
    split = _all_splits(steps)
    rows = dataclasses.replace(split.windows, x=x)
    shipped, record = ridge_reader(split, x, {})
    alpha = record["alpha"]
    assert shipped.meta["fitted_on"] == "train"
    train_only = fit(rows.where(rows.split == "train"), alpha)
    np.testing.assert_allclose(shipped.read_pooled(x), train_only.read_pooled(x), atol=1e-6)
    refitted, _ = ridge_reader(split, x, {}, None, on_valid=True)
    assert refitted.meta["fitted_on"] == "train + valid"
    assert np.abs(refitted.read_pooled(x) - shipped.read_pooled(x)).max() > 1e-3
    # the typicality's range still comes from speakers the fit did not see
    assert shipped.typicality is not None and shipped.typicality.typical > 0


def test_stored_blocks_come_back_as_the_model_they_were_taken_from(steps, encoder):
    model = TopBlocks(encoder, FROZEN)
    with torch.no_grad():
        for p in model.blocks.parameters():
            p.add_(0.05 * torch.randn_like(p))
    again = top_blocks_with(encoder, FROZEN, tuned_part(model))
    np.testing.assert_array_equal(features(again, steps), features(model, steps))
    with pytest.raises(ValueError, match="do not fit blocks 2-4"):
        top_blocks_with(encoder, 1, tuned_part(model))


def test_a_reader_without_tuned_blocks_reads_the_last_layer(tmp_path):
    untuned = VoiceReader(np.zeros(384 * 2), np.ones(384 * 2), np.zeros(384 * 2), 0.0, {})
    path = untuned.save(tmp_path / "voice_reader.npz", VoiceReader.base_file())
    reader = VoiceReader.load_default(path)
    assert reader.tuned_encoder is None and reader.CACHE_TAG == ""
    assert file_states_dim(path) == reader.states().dim == 384  # CTranslate2's last layer, as format 1 read


def _all_splits(steps):
    """The two-split fixture with every third window as a test speaker's (``ridge_reader`` scores test once)."""
    split = steps.windows.split.copy()
    split[::3] = "test"
    return dataclasses.replace(steps, windows=dataclasses.replace(steps.windows, split=split))
