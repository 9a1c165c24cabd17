"""The voice reader over the encoder's layers (training/evaluation/voice_layers.py): a reader fitted on some
layers' columns reads the full pooled vector through those columns alone."""

from __future__ import annotations

import numpy as np

from streammsa.features.voice_states import DIM
from streammsa.features.whisper_layers import LAYERS, layer_columns
from streammsa.training.evaluation.voice_layers import LayerVoiceReader, of_layers
from streammsa.training.voice_reader import Windows, fit


def test_a_reader_of_some_layers_reads_only_their_columns():
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=(n, 2 * LAYERS * DIM))
    label = np.sign(rng.normal(size=n)) * 2
    x[:, layer_columns((2,))[5]] += label  # layer 2's sixth mean column carries the valence
    rows = Windows(
        x=x,
        label=label,
        weight=np.ones(n),
        emotion=np.where(label > 0, "happiness", "anger").astype(object),
        speaker=np.full(n, "s", dtype=object),
        corpus=np.full(n, "c", dtype=object),
        split=np.full(n, "train", dtype=object),
    )
    plain = fit(of_layers(rows, (2, 4)), alpha=10.0)
    layered = fit(of_layers(rows, (2, 4)), 10.0, {"columns": layer_columns((2, 4))}, kind=LayerVoiceReader)
    np.testing.assert_allclose(layered.read_pooled(x), plain.read_pooled(x[:, layer_columns((2, 4))]))
    assert np.corrcoef(layered.read_pooled(x), label)[0, 1] > 0.9
    shuffled = x.copy()
    others = np.setdiff1d(np.arange(x.shape[1]), layer_columns((2, 4)))
    shuffled[:, others] = rng.normal(size=(n, len(others)))  # what the other layers hold is never read
    np.testing.assert_allclose(layered.read_pooled(shuffled), layered.read_pooled(x))


def test_a_reader_of_some_layers_fitted_on_two_splits_measures_typicality_in_its_own_columns():
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=(n, 2 * LAYERS * DIM))
    label = np.sign(rng.normal(size=n)) * 2
    rows = Windows(
        x=x,
        label=label,
        weight=np.ones(n),
        emotion=np.where(label > 0, "happiness", "anger").astype(object),
        speaker=np.array([f"s{i % 4}" for i in range(n)], dtype=object),
        corpus=np.full(n, "c", dtype=object),
        split=np.where(np.arange(n) % 4 < 3, "train", "valid").astype(object),
    )
    columns = layer_columns((2, 4))
    reader = fit(of_layers(rows, (2, 4)), 10.0, {"columns": columns}, kind=LayerVoiceReader)
    assert reader.typicality is not None
    familiar = reader.typicality_pooled(x).mean()
    far = x.copy()
    far[:, columns] += 25.0  # the reader's own layers moved far from anything it was fitted on
    assert reader.typicality_pooled(far).mean() < familiar
    others = np.setdiff1d(np.arange(x.shape[1]), columns)
    moved = x.copy()
    moved[:, others] += 25.0  # the layers it never reads change nothing
    np.testing.assert_allclose(reader.typicality_pooled(moved), reader.typicality_pooled(x))
