"""The segmented recogniser (VAD speech segments, LocalAgreement-2 inside them) on real speech with
Moonshine base-en, the live default, and with tiny.en behind the same interface."""

from __future__ import annotations

import numpy as np
import pytest
from support.speech import EXPECTED, assert_clean_word_stream, keys, similarity

from streammsa.asr.segmented import SegmentConfig, SegmentedRecogniser
from streammsa.capture.packets import SAMPLE_RATE

pytestmark = pytest.mark.slow


def silence(s: float) -> np.ndarray:
    return np.zeros(int(s * SAMPLE_RATE), np.float32)


def stream(rec, audio, chunk_s=0.1, t0=0.0, behind_s=None, decode_s=0.0):
    """Feed ``audio`` like a capture thread; decode whenever ready. Returns (committed words, steps)."""
    n = int(chunk_s * SAMPLE_RATE)
    words, steps = [], []
    for i in range(0, len(audio), n):
        rec.insert_audio_chunk(audio[i : i + n], t0 + i / SAMPLE_RATE)
        if behind_s is not None:
            rec.keep_up(behind_s, decode_s)
        if rec.ready:
            step = rec.process_iter()
            steps.append(step)
            words += step.committed
    return words + rec.finish(), steps


@pytest.fixture(scope="module")
def clip(speech):
    """Two seconds of silence, the sentence, a pause, the sentence again, silence."""
    return np.concatenate([silence(2.0), speech, silence(1.0), speech, silence(1.0)])


@pytest.fixture(scope="module")
def streamed(moonshine, clip):
    rec = SegmentedRecogniser(moonshine)
    words, steps = stream(rec, clip)
    return rec, words, steps


def test_commits_every_word_once_in_order_while_audio_arrives(streamed, clip):
    rec, words, steps = streamed
    assert similarity(keys(words), EXPECTED * 2) >= 0.9
    assert_clean_word_stream(words, len(clip) / SAMPLE_RATE)
    assert sum(len(s.committed) for s in steps) == len(words)  # all before finish(): segments had ended
    assert any(s.partial for s in steps)
    delays = [w.committed_at - w.end for w in words]
    assert min(delays) >= 0 and np.median(delays) < 1.5  # audio time only here (no decode time)


def test_silence_costs_no_decode_and_word_times_lie_in_the_speech(streamed, speech):
    rec, words, _ = streamed
    speech_s = len(speech) / SAMPLE_RATE
    assert words[0].start >= 2.0 - 0.25  # not in the leading silence
    assert words[len(words) // 2 - 1].end <= 2.0 + speech_s + 0.3
    assert rec.decodes <= 2 * (speech_s / rec.config.step_s + 2)  # one per step of speech, none in silence
    assert rec.pending_from is None and rec.buffer.duration <= rec.config.pad_s + 0.1  # only the pad held


def test_replay_is_deterministic_and_chunk_times_set_the_stream_clock(moonshine, clip, streamed):
    _, words, _ = streamed
    again, _ = stream(SegmentedRecogniser(moonshine), clip, t0=100.0)
    assert [w.text for w in again] == [w.text for w in words]
    for a, w in zip(again, words):
        assert a.start == pytest.approx(w.start + 100.0, abs=1e-3)
        assert a.committed_at == pytest.approx(w.committed_at + 100.0, abs=1e-3)


def test_behind_it_decodes_less_and_only_at_pauses_with_the_same_words(moonshine, clip, streamed):
    _, words, _ = streamed
    slow = SegmentedRecogniser(moonshine)
    slow_words, _ = stream(slow, clip, behind_s=2.0)
    assert slow.mode == "slow" and "every 2 s" in slow.describe()
    endpoints = SegmentedRecogniser(moonshine)
    endpoints.keep_up(2.0)  # slow first: a recogniser gives up partials only if slowing down did not help
    ep_words, ep_steps = stream(endpoints, clip, behind_s=5.0)
    assert endpoints.mode == "endpoints" and "no partial" in endpoints.describe()
    assert endpoints.decodes == 2 and not any(s.partial for s in ep_steps)  # one decode per sentence
    assert similarity(keys(slow_words), keys(words)) >= 0.9 and similarity(keys(ep_words), keys(words)) >= 0.9
    for got in (slow_words, ep_words):
        assert_clean_word_stream(got, len(clip) / SAMPLE_RATE)
    assert endpoints.keep_up(0.0) == "" and endpoints.mode == "normal"


def test_decodes_longer_than_the_step_slow_it_down_though_the_backlog_is_small(moonshine, clip, streamed):
    """A caller that drains its queue before each decode is never more than about one decode behind, so the
    decode time is what says the recogniser cannot keep its step (issue #12)."""
    rec = SegmentedRecogniser(moonshine)
    assert rec.keep_up(0.4, decode_s=0.4) == "" and rec.mode == "normal"  # fits the 0.5-s step
    assert "every 2 s" in rec.keep_up(0.6, decode_s=0.6) and rec.mode == "slow"  # cannot decode every 0.5 s
    assert rec.keep_up(0.45, decode_s=0.45) and rec.mode == "slow"  # fits, but without a margin: no flapping
    assert "no partial" in rec.keep_up(2.5, decode_s=2.5) and rec.mode == "endpoints"  # not even every 2 s
    assert rec.keep_up(1.0, decode_s=1.0) and rec.mode == "slow"  # a 1-s decode fits a 2-s step again
    assert rec.keep_up(0.3, decode_s=0.3) == "" and rec.mode == "normal"
    assert rec.keep_up(0.2, decode_s=5.0) and rec.mode == "slow"  # towards fewer decodes one level at a time
    # decoding real speech so: fewer decodes, the same words
    _, words, _ = streamed
    slow = SegmentedRecogniser(moonshine)
    slow_words, _ = stream(slow, clip, behind_s=0.6, decode_s=0.6)
    assert slow.mode == "slow" and slow.decodes < streamed[0].decodes
    assert similarity(keys(slow_words), keys(words)) >= 0.9
    assert_clean_word_stream(slow_words, len(clip) / SAMPLE_RATE)


def test_a_long_segment_is_cut_after_committed_words_without_losing_or_doubling_any(moonshine, speech):
    rec = SegmentedRecogniser(moonshine, SegmentConfig(max_segment_s=2.0))
    longest = 0.0
    words = []
    n = int(0.1 * SAMPLE_RATE)
    for i in range(0, len(speech), n):
        rec.insert_audio_chunk(speech[i : i + n], i / SAMPLE_RATE)
        if rec.ready:
            words += rec.process_iter().committed
        longest = max(longest, rec.open_length())
    words += rec.finish()
    assert longest < 2.0 + 3 * rec.config.step_s  # bounded: each decode holds little audio
    assert similarity(keys(words), EXPECTED) >= 0.85
    assert_clean_word_stream(words, len(speech) / SAMPLE_RATE)


def test_whisper_behind_the_same_interface(backend, speech):
    rec = SegmentedRecogniser(backend)
    words, _ = stream(rec, np.concatenate([silence(1.0), speech, silence(1.0)]))
    assert similarity(keys(words), EXPECTED) >= 0.8
    assert_clean_word_stream(words, 2.0 + len(speech) / SAMPLE_RATE)
