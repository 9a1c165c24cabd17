"""Long streams: the audio buffer is trimmed at committed speech and silence never piles up."""

from __future__ import annotations

import numpy as np
import pytest
from support.speech import EXPECTED, assert_clean_word_stream, keys, similarity

from streammsa.asr.online import OnlineASRProcessor, OnlineConfig
from streammsa.asr.words import normalise
from streammsa.capture.packets import SAMPLE_RATE

pytestmark = pytest.mark.slow


def test_long_input_trims_the_buffer_and_prompts_with_committed_text(backend, speech):
    pause = np.zeros(int(0.6 * SAMPLE_RATE), np.float32)
    audio = np.concatenate([speech, pause, speech])  # ~11 s
    asr = OnlineASRProcessor(backend, OnlineConfig(min_chunk_s=2.0, buffer_trimming_s=5.0))
    n = SAMPLE_RATE // 2
    longest, prompts, words = 0.0, [], []
    for i in range(0, len(audio), n):
        asr.insert_audio_chunk(audio[i : i + n])
        words += asr.process_iter().committed
        longest = max(longest, len(asr.audio) / SAMPLE_RATE)
        prompts.append(asr.prompt())
    words += asr.finish()
    # The first sentence was trimmed away once committed, so the buffer stayed near the
    # trimming length (plus at most one min_chunk of new audio), never the whole 11 s.
    assert asr.buffer_offset >= len(speech) / SAMPLE_RATE - 0.5
    assert longest < 5.0 + 2.0 + 1.0
    assert prompts[-1] and len(prompts[-1]) <= 200
    assert normalise(prompts[-1].split()[-1]) in {w.key for w in words}
    assert similarity(keys(words), EXPECTED * 2) >= 0.85
    assert_clean_word_stream(words, len(audio) / SAMPLE_RATE)


def test_long_silence_is_dropped_from_the_buffer(backend, speech):
    silence = np.zeros(9 * SAMPLE_RATE, np.float32)
    audio = np.concatenate([speech, silence, speech])
    asr = OnlineASRProcessor(backend, OnlineConfig(min_chunk_s=2.0, buffer_trimming_s=5.0))
    n = SAMPLE_RATE
    longest, words = 0.0, []
    for i in range(0, len(audio), n):
        asr.insert_audio_chunk(audio[i : i + n])
        words += asr.process_iter().committed
        longest = max(longest, len(asr.audio) / SAMPLE_RATE)
    words += asr.finish()
    # Without trimming the buffer would reach 9 s of silence + 5 s of speech; with it, the
    # silence shrinks to silence_keep_s and only the uncommitted new sentence accumulates.
    assert longest < 5.0 + 2.0 + 2.0
    assert similarity(keys(words), EXPECTED * 2) >= 0.85
    second = [w for w in words if w.start >= len(speech) / SAMPLE_RATE + 9.0 - 0.2]
    assert similarity(keys(second), EXPECTED) >= 0.85  # the second sentence sits after the silence
