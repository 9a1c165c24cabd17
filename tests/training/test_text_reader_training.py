"""Fine-tuning the text reader on real MOSI transcripts lowers its validation error; the kept step is the best one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.features.minilm import load_encoder
from streammsa.models.text_reader import TextReader
from streammsa.training.text_reader import ReaderTrainConfig, bottom_states, predict, train_reader, transcripts

pytestmark = [pytest.mark.data]


def test_fine_tuning_on_mosi_transcripts_lowers_the_validation_error(shared_data):
    torch.set_num_threads(1)
    items = [it for it in transcripts(shared_data, ["mosi"])]
    rng = np.random.default_rng(0)
    train = [items[i] for i in rng.permutation([i for i, it in enumerate(items) if it.split == "train"])[:192]]
    valid = [it for it in items if it.split == "valid"][:64]
    test = [it for it in items if it.split == "test"][:32]
    reader = TextReader.new(load_encoder(assets.minilm_dir()), assets.minilm_dir(), top_layers=1, max_tokens=32)
    states = bottom_states(reader, train + valid + test)
    v = states.select("valid")
    before = float(np.abs(predict(reader, states, v) - states.label[v]).mean())
    result = train_reader(reader, states, ReaderTrainConfig(top_layers=1, epochs=3, batch_size=16, eval_every=4))
    after = float(np.abs(predict(reader, states, v) - states.label[v]).mean())
    assert after == pytest.approx(result.valid_mae, abs=1e-3)  # the reader holds its best step
    assert result.valid_mae == min(h["valid_mae"] for h in result.history)
    assert after < before - 0.1, (before, after)
    assert set(result.test) == {"mosi"} and result.test["mosi"]["n"] == 32
