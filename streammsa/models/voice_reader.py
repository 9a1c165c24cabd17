"""The voice reading: what the sound of a voice alone says, on the -3..+3 scale.

CACR's voice head reads the 44-d prosody, which carries little valence to speakers it never heard
(unseen RAVDESS actors 0.65-0.69 ROC AUC pooled, docs/live-results.md). The voice reader reads the
Whisper tiny.en encoder states of the same audio, pooled over the window's speech:

    x_0..x_4 = WhisperEncoder(audio), blocks 3-4 tuned     every 20 ms: the stem and each block (whisper_layers.py)
    v = [mean_t x_{0..4} ; std_t x_{0..4}]                 over the states heard while someone speaks
    r = w . (v - mu) / sigma + b                           ridge regression onto acted emotions' valence

fitted on RAVDESS, EmoDB and GRID speakers (``training/voice_tuning.py``: the encoder's top two blocks trained on
the training speakers first, ``training/voice_reader.py``: the ridge). The monitor shows r against the speaker's
running baseline (``engine/voice_baseline.py``).

The file holds the tuned blocks' weights beside the regression (format 2, ``encoder.*`` arrays; the base encoder's
sha256 is checked at load). A file without them (format 1, until session 26) reads the encoder's last layer as
CTranslate2 returns it (``features/voice_states.py``), and still loads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.features.voice_states import VoiceStates, pooled
from streammsa.models.linear_reader import LinearReader

FILENAME = "voice_reader.npz"
MIN_STATES = 25  # half a second of states: a shorter stretch is too little voice to pool


class VoiceReader(LinearReader):
    NAME = "voice reader"
    FILENAME = FILENAME
    FORMAT = "streammsa.voice_reader/2"  # may carry tuned encoder weights (``tuned_encoder``)
    OLDER_FORMATS = ("streammsa.voice_reader/1",)  # over the encoder's last layer (CTranslate2)
    SCRIPT = "scripts/train_voice_reader.py"
    BASE = "Whisper"
    EXTRA_PREFIX = "encoder."

    MIN_ROWS = MIN_STATES
    pool = staticmethod(pooled)  # mean and standard deviation of the window's speech states

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # encoder weights (state-dict key -> array) in place of the shipped ones; None: the shipped encoder's last
        # layer, read by CTranslate2
        self.tuned_encoder: dict[str, np.ndarray] | None = None

    @property
    def CACHE_TAG(self) -> str:  # noqa: N802 (names this kind of states' caches of pooled clips and windows)
        if not self.tuned_encoder:
            return ""
        digest = hashlib.sha256()
        for k, v in sorted(self.tuned_encoder.items()):
            digest.update(k.encode() + np.ascontiguousarray(v, np.float32).tobytes())
        return f"-tuned-{digest.hexdigest()[:12]}"

    def states(self) -> VoiceStates:
        """What the reader reads, as the monitor computes it: every layer of the encoder with the tuned blocks, or
        (no tuned blocks) the encoder's last layer."""
        if not self.tuned_encoder:
            return VoiceStates()
        from streammsa.features.whisper_layers import LayerStates

        return LayerStates(tuned=self.tuned_encoder)

    def standardised(self, v: np.ndarray) -> np.ndarray:
        columns = self.meta.get("columns")  # a reader over some of the layers' pooled states
        return super().standardised(np.asarray(v) if columns is None else np.asarray(v)[:, columns])

    def describe(self) -> str:
        """What kind of reader this is, for records and ``streammsa doctor``."""
        if not self.tuned_encoder:
            return f"ridge over Whisper's last layer (alpha {self.meta.get('alpha', 0):g})"
        tuned = sorted({k.split(".")[1] for k in self.tuned_encoder if k.startswith("blocks.")})
        blocks = ", ".join(str(int(i) + 1) for i in tuned)
        return f"ridge over every Whisper layer, blocks {blocks} tuned (alpha {self.meta.get('alpha', 0):g})"

    def extra_arrays(self) -> dict[str, np.ndarray]:
        tuned = self.tuned_encoder or {}
        return {self.EXTRA_PREFIX + k: np.asarray(v, np.float32) for k, v in tuned.items()}

    def load_extra(self, arrays: dict[str, np.ndarray]) -> None:
        self.tuned_encoder = {k[len(self.EXTRA_PREFIX) :]: v for k, v in arrays.items()} or None

    @staticmethod
    def base_file() -> Path:
        """The Whisper weights whose encoder states the reader reads."""
        from streammsa import assets

        return assets.whisper_tiny_en() / "model.bin"


def states_dim(tuned: bool) -> int:
    """The width of the states a reader with (or without) tuned encoder weights reads."""
    from streammsa.features.voice_states import DIM

    if not tuned:
        return DIM
    from streammsa.features.whisper_layers import LAYERS

    return LAYERS * DIM


def file_states_dim(path: str | Path) -> int:
    """The width of the states the reader file at ``path`` reads, from its names alone (a run sizes its voice
    states' cache before the reader has loaded); the last layer's for an unreadable file (its load says why)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            tuned = any(k.startswith(VoiceReader.EXTRA_PREFIX) for k in z.files)
    except (ValueError, KeyError, OSError):
        return states_dim(False)
    return states_dim(tuned and header.get("format") == VoiceReader.FORMAT)


default_path = VoiceReader.default_path
load_voice_reader = VoiceReader.load_default
