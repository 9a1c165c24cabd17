"""Moonshine base-en in onnxruntime: the prepared model, its tokenizer, greedy decoding, forced prefixes
and the word times it derives (checked against tiny.en's word timestamps)."""

from __future__ import annotations

import difflib
import shutil

import numpy as np
import pytest
from support.speech import EXPECTED, keys, similarity

from streammsa.asr import moonshine_model
from streammsa.asr.moonshine_backend import drop_loop, spread_words
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.errors import InputError


def test_words_are_spread_by_characters_in_order_inside_the_audio():
    words = spread_words(" The quarterly results", 2.0)
    assert [w.text for w in words] == [" The", " quarterly", " results"]
    assert words[0].start == 0.0 and words[-1].end <= 2.0
    assert all(a.end <= b.start for a, b in zip(words, words[1:]))
    lengths = [w.end - w.start for w in words]
    assert lengths[1] > lengths[2] > lengths[0]  # nine letters outlast seven, seven outlast three
    assert spread_words("", 2.0) == [] and spread_words("word", 0.0) == []


@pytest.mark.slow
def test_prepared_model_is_checked_and_made_from_the_wheel(tmp_path):
    assert moonshine_model.is_prepared(moonshine_model.prepared_dir())
    src = tmp_path / "src"
    shutil.copytree(moonshine_model.source_dir(), src)
    with (src / "tokenizer.bin").open("r+b") as f:  # one flipped byte: not the pinned model any more
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(InputError, match="sha256"):
        moonshine_model.prepare(dest=tmp_path / "out", src=src)
    assert not (tmp_path / "out" / moonshine_model.MANIFEST).exists()


@pytest.mark.slow
def test_transcribes_the_sentence(moonshine, speech):
    result = moonshine.transcribe(speech)
    assert similarity(keys(result.words), EXPECTED) >= 0.9
    duration = len(speech) / SAMPLE_RATE
    assert result.words[0].start >= 0 and result.words[-1].end <= duration
    assert result.segment_ends == [pytest.approx(duration)]
    assert moonshine.transcribe(np.zeros(800, np.float32)).words == []  # too short for the encoder


@pytest.mark.slow
def test_a_forced_prefix_gives_the_same_words_for_fewer_decoder_steps(moonshine, speech):
    free = moonshine.transcribe(speech)
    steps = moonshine.decoder_steps
    again = moonshine.transcribe(speech)  # same audio: decoding is deterministic
    free_steps = moonshine.decoder_steps - steps
    prefix = "".join(w.text for w in free.words[:8])
    steps = moonshine.decoder_steps
    forced = moonshine.transcribe(speech, prefix=prefix)
    assert [w.text for w in again.words] == [w.text for w in free.words]
    assert [w.text for w in forced.words] == [w.text for w in free.words]
    assert moonshine.decoder_steps - steps < free_steps - 5  # the prefix's tokens went in one call


@pytest.mark.slow
def test_derived_word_times_follow_whisper_word_timestamps(moonshine, backend, speech):
    moon = moonshine.transcribe(speech).words
    whisper = backend.transcribe(speech).words
    matcher = difflib.SequenceMatcher(a=[w.key for w in moon], b=[w.key for w in whisper], autojunk=False)
    shared = [(moon[b.a + k].end, whisper[b.b + k].end) for b in matcher.get_matching_blocks() for k in range(b.size)]
    assert len(shared) >= len(EXPECTED) - 3
    errors = [abs(a - b) for a, b in shared]
    # spread by characters over the whole clip: within a few hundred ms of Whisper's alignment
    assert np.median(errors) < 0.3 and max(errors) < 0.8


def test_a_loop_at_the_end_is_dropped_but_a_single_repeated_word_is_kept():
    looped = "The results were better than we expect. The results were better than we expect."
    assert drop_loop(looped) == "The results were better than we expect."
    assert drop_loop("we worked very hard very hard") == "we worked very hard"
    assert drop_loop("no no") == "no no" and drop_loop("") == ""
