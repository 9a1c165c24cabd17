"""OnlineASRProcessor's buffer policy on scripted hypotheses (the commit logic, without Whisper).

Like the LocalAgreement tests, these use hand-made recogniser output so that a case real
speech rarely produces on demand (hypotheses that never agree) is exercised exactly; the
same processor runs on the real model in test_asr_online.py / test_asr_trimming.py.
"""

from __future__ import annotations

import numpy as np

from streammsa.asr.online import KEEP_COMMITTED, OnlineASRProcessor, OnlineConfig
from streammsa.asr.whisper_backend import Transcript
from streammsa.asr.words import TimedWord
from streammsa.capture.packets import SAMPLE_RATE


class ScriptedBackend:
    """One word per 0.5 s of buffer; ``flip`` makes every other decode spell words differently."""

    def __init__(self, flip: bool) -> None:
        self.flip = flip
        self.calls = 0
        self.prompts: list[str] = []

    def transcribe(self, audio, init_prompt="", beam_size=None):
        self.calls += 1
        self.prompts.append(init_prompt)
        n = int(len(audio) / SAMPLE_RATE / 0.5)
        tag = "b" if self.flip and self.calls % 2 else "a"
        words = [TimedWord(i * 0.5, i * 0.5 + 0.4, f" w{i}{tag}", 0.9) for i in range(n)]
        ends = [w.end for w in words[4::5]] or ([words[-1].end] if words else [])
        return Transcript(words, ends)


def feed(asr, seconds, chunk_s=1.0):
    steps = []
    n = int(chunk_s * SAMPLE_RATE)
    for _ in range(int(seconds / chunk_s)):
        asr.insert_audio_chunk(np.zeros(n, np.float32))
        steps.append(asr.process_iter())
    return steps


def test_hypotheses_that_never_agree_cannot_grow_the_buffer_past_whisper_window():
    cfg = OnlineConfig(min_chunk_s=1.0, buffer_trimming_s=15.0, max_buffer_s=30.0)
    asr = OnlineASRProcessor(ScriptedBackend(flip=True), cfg)
    longest = 0.0
    words = []
    for step in feed(asr, 70):
        words += step.committed
        longest = max(longest, len(asr.audio) / SAMPLE_RATE)
    assert longest <= 30.0
    assert asr.buffer_offset > 30.0
    assert words  # the runaway trim finalised words instead of silently dropping them
    starts = [w.start for w in words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # each stretch of audio once


def test_agreeing_hypotheses_commit_each_word_once_and_trim_at_segment_ends():
    asr = OnlineASRProcessor(ScriptedBackend(flip=False), OnlineConfig(min_chunk_s=1.0, buffer_trimming_s=5.0))
    words = [w for step in feed(asr, 20) for w in step.committed] + asr.finish()
    assert len(asr.audio) / SAMPLE_RATE <= 5.0 + 1.0 + 2.5
    starts = [w.start for w in words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(w.committed_at >= w.end for w in words)
    # Words that left the buffer come back as the prompt.
    assert asr.backend.prompts[-1] and len(asr.backend.prompts[-1]) <= 200


def test_nothing_happens_until_min_chunk_of_new_audio_arrived():
    rec = ScriptedBackend(flip=False)
    asr = OnlineASRProcessor(rec, OnlineConfig(min_chunk_s=2.0))
    feed(asr, 1.5, chunk_s=0.5)
    assert rec.calls == 0 and not asr.ready
    asr.insert_audio_chunk(np.zeros(SAMPLE_RATE // 2, np.float32))
    assert asr.ready
    asr.process_iter()
    assert rec.calls == 1


def test_committed_history_kept_inside_the_processor_is_bounded():
    asr = OnlineASRProcessor(ScriptedBackend(flip=False), OnlineConfig(min_chunk_s=1.0, buffer_trimming_s=5.0))
    total = sum(len(step.committed) for step in feed(asr, 400, chunk_s=2.0))
    assert total > 2 * KEEP_COMMITTED
    assert len(asr.committed) <= 2 * KEEP_COMMITTED


def test_gap_in_chunk_times_is_filled_with_silence_on_the_stream_clock():
    asr = OnlineASRProcessor(ScriptedBackend(flip=False))
    asr.insert_audio_chunk(np.ones(SAMPLE_RATE, np.float32), t=50.0)
    asr.insert_audio_chunk(np.ones(SAMPLE_RATE, np.float32), t=51.5)  # 0.5 s lost in capture
    assert asr.buffer_offset == 50.0 and asr.audio_end == 52.5
    assert np.all(asr.audio[SAMPLE_RATE : SAMPLE_RATE + SAMPLE_RATE // 2] == 0)
