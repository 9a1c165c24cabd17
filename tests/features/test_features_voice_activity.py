"""Silero voice activity: speech is found in speech, never in silence, a pure tone or noise; streaming == whole clip."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from support.signals import nobody_speaking

from streammsa.capture.media_file import read_audio
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.features.timed import TimedFeatures
from streammsa.features.voice_activity import FRAME_S, VoiceActivity, speech_seconds


@pytest.fixture(scope="module")
def vad() -> VoiceActivity:
    return VoiceActivity()


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> np.ndarray:
    path = tmp_path_factory.mktemp("vad") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "I am really pleased with how the release went."], check=True)
    return read_audio(path)


@pytest.mark.parametrize("kind", ["silence", "tone", "noise"])
def test_no_speech_is_found_where_nobody_speaks(vad, kind):
    probs = vad.detect(nobody_speaking(kind))
    assert len(probs) == int(6 / FRAME_S)
    assert speech_seconds(probs.values, 0.5) == 0.0


def test_speech_is_found_in_speech(vad, spoken):
    probs = vad.detect(spoken)
    # espeak-ng speaks nearly all the time: most of the clip is speech
    assert speech_seconds(probs.values, 0.5) > 0.6 * len(spoken) / SAMPLE_RATE


@pytest.mark.parametrize("chunk", [777, 1600, 8000])
def test_streaming_in_any_chunks_gives_the_whole_clip_probabilities(vad, spoken, chunk):
    whole = vad.detect(spoken, t0=10.0)
    s = vad.stream(10.0)
    parts = [s.push(spoken[i : i + chunk]) for i in range(0, len(spoken), chunk)] + [s.flush()]
    streamed = TimedFeatures.concat(parts, 1)
    np.testing.assert_allclose(streamed.times, whole.times)
    np.testing.assert_array_equal(streamed.values, whole.values)
    assert whole.times[0] == 10.0 and np.allclose(np.diff(whole.times), FRAME_S)
