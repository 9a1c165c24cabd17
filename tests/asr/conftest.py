"""Fixtures of the streaming-ASR tests: one espeak-ng sentence, the bundled tiny.en backend and Moonshine base-en."""

from __future__ import annotations

import subprocess

import pytest
from support.speech import SENTENCE

from streammsa.asr.moonshine_backend import MoonshineBackend
from streammsa.asr.whisper_backend import WhisperBackend, WhisperConfig
from streammsa.capture.media_file import read_audio


@pytest.fixture(scope="module")
def backend():
    return WhisperBackend(WhisperConfig(cpu_threads=2))


@pytest.fixture(scope="module")
def moonshine():
    return MoonshineBackend()


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True, timeout=30)
    return read_audio(path)
