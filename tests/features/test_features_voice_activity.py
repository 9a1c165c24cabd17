"""Silero voice activity: speech is found in speech, never in silence, a pure tone or noise; streaming == whole clip."""

from __future__ import annotations

import subprocess
import sys

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


@pytest.mark.parametrize("frames", [1, 4, 37])
def test_each_call_gives_exactly_faster_whispers_silero_probabilities(vad, spoken, frames):
    # the monitor was calibrated on faster-whisper's SileroVADModel; VoiceActivity computes the same without
    # importing faster-whisper (its CTranslate2, tokenizers and PyAV cost the start-up a quarter of a second)
    from faster_whisper.vad import get_vad_model

    reference = get_vad_model()
    n = frames * 512
    for i in range(0, len(spoken) - n, n):
        block = np.ascontiguousarray(spoken[i : i + n], dtype=np.float32)
        kept = block.copy()
        want = np.asarray(reference(block.copy()), dtype=np.float32).reshape(-1)
        np.testing.assert_array_equal(vad.probabilities(block), want)
        np.testing.assert_array_equal(block, kept)  # the caller's samples are left as they were


def test_loading_it_imports_neither_faster_whisper_nor_ctranslate2():
    code = (
        "import sys; from streammsa.features.voice_activity import VoiceActivity; VoiceActivity(); "
        "print(sorted(m for m in ('faster_whisper', 'ctranslate2', 'tokenizers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
