"""The voice-states worker (monitor/workers.py): --fast holds its audio and reads it in shared encoder passes,
with the same states, on the same clock, and its watermark follows what it has read."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.capture.packets import SAMPLE_RATE, AudioChunk
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.audio import decode_audio_file
from streammsa.features.cache import FeatureCache
from streammsa.features.voice_states import DIM, VoiceStates
from streammsa.monitor.workers import VoiceStatesWorker

pytestmark = [pytest.mark.data]

CHUNK = 1024  # samples per audio packet, as a file source delivers them


class _CountingStates:
    """The real VoiceStates, counting its encoder calls."""

    def __init__(self, states: VoiceStates) -> None:
        self.states, self.calls = states, 0
        self.rate_hz = states.rate_hz
        inner = states.encode_many

        def counted(stretches):
            self.calls += 1
            return inner(stretches)

        states.encode_many = counted  # type: ignore[method-assign]

    def stream(self, t0: float = 0.0):
        return self.states.stream(t0)


def _run(worker_hold_s: float, audio: np.ndarray, states: _CountingStates) -> tuple[FeatureCache, list[float]]:
    cache = FeatureCache(DIM, horizon_s=600.0, name="voice_states")
    scheduler = WindowScheduler("main", 4.0, 1.0, active=["voice_states"])
    worker = VoiceStatesWorker(states, cache, scheduler, maxsize=100000, hold_s=worker_hold_s)
    marks = []
    for i in range(0, len(audio), CHUNK):
        worker.handle(AudioChunk(t=3.0 + i / SAMPLE_RATE, samples=audio[i : i + CHUNK]))
        marks.append(scheduler.watermark())  # its only modality: the worker's own watermark
    worker.finish()
    return cache, marks


def test_fast_reads_held_audio_in_shared_passes_with_the_same_states_on_the_same_clock(shared_data):
    speech = decode_audio_file(shared_data / "ravdess" / "audio" / "Actor_20" / "03-01-03-02-01-01-20.flac")
    audio = np.tile(speech, 4)  # about 14 s
    paced_states, fast_states = _CountingStates(VoiceStates()), _CountingStates(VoiceStates())
    paced, paced_marks = _run(0.0, audio, paced_states)
    fast, fast_marks = _run(8.0, audio, fast_states)
    end = 3.0 + len(audio) / SAMPLE_RATE + 1.0
    np.testing.assert_array_equal(fast.slice(0.0, end)[1], paced.slice(0.0, end)[1])
    np.testing.assert_array_equal(fast.slice(0.0, end)[0], paced.slice(0.0, end)[0])
    assert fast_states.calls < paced_states.calls / 2
    # the watermark moves only with what has been read: held audio never lets a window through early
    assert fast_marks[len(fast_marks) // 4] == 0.0 < paced_marks[len(paced_marks) // 4]
    assert max(fast_marks) <= max(paced_marks)
