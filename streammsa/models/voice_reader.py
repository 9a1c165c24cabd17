"""The voice reading: what the sound of a voice alone says, on the -3..+3 scale.

CACR's voice head reads the 44-d prosody, which carries little valence to speakers it never heard
(unseen RAVDESS actors 0.65-0.69 ROC AUC pooled, docs/live-results.md). The voice reader reads the
Whisper tiny.en encoder states of the same audio (``features/voice_states.py``), pooled over the window's speech:

    s_1..s_T = WhisperEncoder(audio)                 every 20 ms, shipped for speech recognition
    v = [mean_t s_t ; std_t s_t]                     over the states heard while someone speaks
    r = w . (v - mu) / sigma + b                     ridge regression onto acted emotions' valence

fitted on RAVDESS, EmoDB and GRID speakers (``training/voice_reader.py``). The monitor shows r against the
speaker's running baseline (``engine/voice_baseline.py``).
"""

from __future__ import annotations

from pathlib import Path

from streammsa.features.voice_states import VoiceStates, pooled
from streammsa.models.linear_reader import LinearReader

FILENAME = "voice_reader.npz"
MIN_STATES = 25  # half a second of states: a shorter stretch is too little voice to pool


class VoiceReader(LinearReader):
    NAME = "voice reader"
    FILENAME = FILENAME
    FORMAT = "streammsa.voice_reader/1"
    SCRIPT = "scripts/train_voice_reader.py"
    BASE = "Whisper"

    MIN_ROWS = MIN_STATES
    pool = staticmethod(pooled)  # mean and standard deviation of the window's speech states

    CACHE_TAG = ""  # names this kind of states' caches of pooled clips and windows (training/voice_reader.py)

    @staticmethod
    def states() -> VoiceStates:
        """What the reader reads: the encoder's last layer, as the monitor computes it."""
        return VoiceStates()

    @staticmethod
    def base_file() -> Path:
        """The Whisper weights whose encoder states the reader reads."""
        from streammsa import assets

        return assets.whisper_tiny_en() / "model.bin"


default_path = VoiceReader.default_path
load_voice_reader = VoiceReader.load_default
