"""Streaming Silero VAD and the endpointer that turns its frames into speech segments."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.asr.vad import FRAME, FRAME_S, Endpointer, SileroVad, VadConfig
from streammsa.capture.packets import SAMPLE_RATE


@pytest.mark.slow
def test_streamed_probabilities_equal_faster_whispers_on_the_whole_clip(speech):
    from faster_whisper.vad import get_vad_model

    audio = np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), speech, np.zeros(SAMPLE_RATE, np.float32)])
    audio = audio[: len(audio) // FRAME * FRAME]
    whole = np.asarray(get_vad_model()(audio)).reshape(-1)
    vad = SileroVad()
    streamed = np.concatenate([vad.push(audio[i : i + 1234]) for i in range(0, len(audio), 1234)])
    np.testing.assert_allclose(streamed, whole, atol=1e-5)
    assert streamed[:5].max() < 0.5 and streamed.max() > 0.9 and streamed[-10:].max() < 0.5


def feed(ep: Endpointer, probs: list[float]) -> list[tuple[str, float]]:
    out = []
    for i, p in enumerate(probs):
        event = ep.feed(p, i * FRAME_S)
        if event:
            out.append((event, round(ep.start if event == "start" else ep.last_speech, 3)))
    return out


def test_a_segment_ends_only_after_enough_silence_and_clicks_start_none():
    cfg = VadConfig(min_silence_s=0.2, min_speech_s=0.1)
    speech = [0.9] * 10
    short_pause = [0.1] * 3  # 96 ms: stays inside the segment
    long_pause = [0.1] * 8  # 256 ms: ends it
    events = feed(Endpointer(cfg), [0.9, 0.1] + speech + short_pause + speech + long_pause + [0.9] + [0.1] * 10)
    assert [e for e, _ in events] == ["start", "end"]  # the lone frames never started a segment
    start, end = events[0][1], events[1][1]
    assert start == pytest.approx(2 * FRAME_S) and end == pytest.approx(25 * FRAME_S)


def test_between_the_two_thresholds_the_state_holds():
    cfg = VadConfig(threshold=0.5, neg_threshold=0.35, min_silence_s=0.1, min_speech_s=0.0)
    assert feed(Endpointer(cfg), [0.4] * 10) == []  # never enough to start
    events = feed(Endpointer(cfg), [0.9] + [0.4] * 10 + [0.1] * 5)
    assert events[-1] == ("end", pytest.approx(11 * FRAME_S, abs=1e-3))  # 0.4 kept the speech going
