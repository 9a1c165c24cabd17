"""The plain MiniLM encoder gives what transformers' BertModel and fast tokenizer give on the same files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.features.minilm import load_encoder, load_tokenizer

SENTENCES = [
    ["I", "am", "really", "happy", "with", "how", "the", "launch", "went."],
    ["Honestly,", "the", "delays", "are", "frustrating!"],
    ["ok"],
    ["Zürich's", "naïve", "café", "transcribing", "3.2", "GHz", "A/B-tests"],
]


@pytest.fixture(scope="module")
def reference():
    transformers = pytest.importorskip("transformers")
    path = str(assets.minilm_dir())
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModel.from_pretrained(path, local_files_only=True).eval()
    return tok, model


def test_tokens_word_alignment_and_padding_match_the_transformers_tokenizer(reference):
    tok, _ = reference
    ours = load_tokenizer(assets.minilm_dir(), max_length=12)
    theirs = tok(SENTENCES, is_split_into_words=True, truncation=True, max_length=12, padding=True)
    encs = ours.encode_batch(SENTENCES, is_pretokenized=True)
    for j, e in enumerate(encs):
        assert e.ids == theirs["input_ids"][j]
        assert e.attention_mask == theirs["attention_mask"][j]
        assert e.word_ids == theirs.word_ids(j)
    assert len(encs[0].ids) == 12  # truncated to max_length; the others padded to it


def test_word_pieces_are_counted_like_the_transformers_tokenizer(reference):
    tok, _ = reference
    words = [w for s in SENTENCES for w in s]
    ours = load_tokenizer(assets.minilm_dir())
    assert [len(e.ids) for e in ours.encode_batch(words, add_special_tokens=False)] == [
        len(ids) for ids in tok(words, add_special_tokens=False)["input_ids"]
    ]


def test_hidden_states_match_bert_model_on_a_padded_batch(reference):
    tok, model = reference
    enc = tok(SENTENCES, is_split_into_words=True, truncation=True, max_length=64, padding=True, return_tensors="pt")
    ours = load_encoder(assets.minilm_dir())
    with torch.inference_mode():
        want = model(**enc).last_hidden_state.numpy()
        got = ours(enc["input_ids"], enc["attention_mask"]).numpy()
    real = enc["attention_mask"].numpy().astype(bool)  # padded positions are never read
    np.testing.assert_allclose(got[real], want[real], atol=2e-4, rtol=1e-4)


def test_the_text_encoder_does_not_import_transformers():
    """The point of the plain encoder: the monitor's start-up never pays for transformers."""
    code = (
        "import sys; from streammsa.features.text import TextEncoder; e = TextEncoder(); e.encode('fine, thanks'); "
        "print('transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
