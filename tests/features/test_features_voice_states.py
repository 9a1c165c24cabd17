"""Whisper encoder states (features/voice_states.py): a stream read chunk by chunk gives exactly the states of the
whole clip, one every 20 ms on the stream clock; the encoder reads each step with the context before it."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.features.audio import decode_audio_file
from streammsa.features.voice_states import DIM, RATE_HZ, VoiceStates, VoiceStatesConfig

pytestmark = [pytest.mark.data]


@pytest.fixture(scope="module")
def states() -> VoiceStates:
    return VoiceStates()


@pytest.fixture(scope="module")
def speech(shared_data) -> np.ndarray:
    return decode_audio_file(shared_data / "ravdess" / "audio" / "Actor_20" / "03-01-03-02-01-01-20.flac")


@pytest.mark.parametrize("chunk", [160, 1600, 7919])
def test_a_stream_read_chunk_by_chunk_equals_the_whole_clip(states, speech, chunk):
    whole = states.extract(speech, t0=2.0)
    s = states.stream(2.0)
    parts = [s.push(speech[i : i + chunk]) for i in range(0, len(speech), chunk)] + [s.flush()]
    times = np.concatenate([p.times for p in parts])
    values = np.concatenate([p.values for p in parts])
    assert values.shape == whole.values.shape == (len(speech) // 320, DIM)
    np.testing.assert_array_equal(values, whole.values)
    np.testing.assert_allclose(times, 2.0 + np.arange(len(times)) / RATE_HZ)


def test_each_step_is_read_with_the_audio_before_it(states, speech):
    """The states of second 2 depend on second 1 (context), and a stream without context differs from it."""
    with_context = states.extract(speech).values
    alone = VoiceStates(states.model_dir, VoiceStatesConfig(context_s=1.0)).extract(speech).values
    np.testing.assert_array_equal(with_context[:50], alone[:50])  # the first step has no audio before it
    assert np.abs(with_context[50:100] - alone[50:100]).mean() > 0.05


def test_a_stretch_shorter_than_one_state_has_none(states):
    assert states.encode(np.zeros(100, np.float32)).shape == (0, DIM)
    s = states.stream()
    assert len(s.push(np.zeros(8000, np.float32))) == 0  # half a step: nothing yet
    assert len(s.flush()) == 25  # the rest at the end of the stream


class _CountingEncoder:
    def __init__(self, model) -> None:
        self.model, self.calls = model, 0

    def encode(self, *args, **kw):
        self.calls += 1
        return self.model.encode(*args, **kw)

    def __getattr__(self, name):
        return getattr(self.model, name)


def test_a_backlog_of_steps_is_read_in_shared_encoder_passes_with_the_same_states(states, speech):
    """A push that completes many steps (a --fast replay's backlog) reads the full-context ones side by side:
    fewer encoder calls, the same numbers as one step at a time."""
    audio = np.tile(speech, 4)  # about 14 s: ten steps read with the full 4 s of context
    one_by_one = VoiceStates(states.model_dir)
    one_by_one._model = _CountingEncoder(one_by_one._model)
    s = one_by_one.stream()
    stepwise = [s.push(audio[i : i + 16000]) for i in range(0, len(audio), 16000)] + [s.flush()]
    together = VoiceStates(states.model_dir)
    together._model = _CountingEncoder(together._model)
    s = together.stream()
    at_once = [s.push(audio), s.flush()]
    np.testing.assert_array_equal(
        np.concatenate([p.values for p in at_once]), np.concatenate([p.values for p in stepwise])
    )
    np.testing.assert_array_equal(
        np.concatenate([p.times for p in at_once]), np.concatenate([p.times for p in stepwise])
    )
    steps = len(audio) // 16000
    assert one_by_one._model.calls == steps + 1  # one pass per second, and the flush's partial step
    assert together._model.calls < steps // 2
