"""The text reader (models/text_reader.py): the shipped one reads plain words by their sentiment; a reader stores
only its own top layers and refuses bottom layers it was not tuned on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.errors import InputError
from streammsa.features.minilm import load_encoder
from streammsa.models.text_reader import TextReader, default_path, load_reader


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(assets.minilm_dir())


# written for this test (not the held-out sentences of scripts/data/plain_sentences.tsv)
POSITIVE = ["We are delighted with the results of this quarter.", "Great job everyone, the demo was excellent."]
NEGATIVE = ["This is a disaster and I am very disappointed.", "The outage was awful and customers are angry."]


def test_the_shipped_reader_reads_plainly_worded_sentences_by_their_sentiment():
    reader = load_reader()
    pos, neg = reader.read(POSITIVE), reader.read(NEGATIVE)
    assert (pos > 0.5).all() and (neg < -0.5).all(), (pos, neg)
    assert np.isnan(reader.read(["   "])[0])  # no words, no reading
    assert default_path().stat().st_size < 16e6  # three fine-tuned layers, half precision (about 3.5 MB each)


def test_a_reader_stores_only_its_top_layers_and_reads_the_same_after_loading(encoder, tmp_path):
    torch.manual_seed(0)
    reader = TextReader.new(encoder, assets.minilm_dir(), top_layers=1)
    path = reader.save(tmp_path / "r.pt", {"note": "test"}, assets.minilm_dir())
    record = torch.load(path, weights_only=True)
    assert {k.split(".")[0] for k in record["state"]} == {"top", "head"}
    again = TextReader.load(path, encoder, assets.minilm_dir())
    texts = POSITIVE + NEGATIVE
    assert again.read(texts) == pytest.approx(reader.read(texts), abs=0.01)  # stored in half precision
    assert again.meta == {"note": "test"}


def test_a_reader_refuses_bottom_layers_it_was_not_tuned_on(encoder, tmp_path):
    reader = TextReader.new(encoder, assets.minilm_dir(), top_layers=1)
    path = reader.save(tmp_path / "r.pt", {}, assets.minilm_dir())
    record = torch.load(path, weights_only=True)
    record["base_sha256"] = "0" * 64
    torch.save(record, path)
    with pytest.raises(InputError, match="other MiniLM weights"):
        TextReader.load(path, encoder, assets.minilm_dir())
    with pytest.raises(InputError, match="not found"):
        TextReader.load(tmp_path / "missing.pt", encoder, assets.minilm_dir())


def test_fine_tuning_changes_only_the_readers_copy_of_the_top_layers(encoder):
    reader = TextReader.new(encoder, assets.minilm_dir(), top_layers=2)
    assert all(p is not q for p, q in zip(reader.top.parameters(), encoder.encoder.layer[-2:].parameters()))
    assert not any(n.startswith("_base") or n.startswith("base") for n, _ in reader.named_parameters())


def test_a_reading_does_not_depend_on_the_other_texts_in_its_batch(encoder):
    reader = TextReader.new(encoder, assets.minilm_dir(), top_layers=1)
    short, long = "bin blue at f", "bin blue at f two now, please, and then set green by a one again soon"
    alone = np.concatenate([reader.read([short]), reader.read([long])])
    assert reader.read([short, long]) == pytest.approx(alone, abs=1e-5)  # padding is never read as words
