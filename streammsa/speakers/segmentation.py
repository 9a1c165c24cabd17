"""pyannote segmentation-3.0 (ONNX): which of up to 3 local speakers is active, frame by frame.

The model reads 10 s of 16 kHz audio and returns, for each of 589 frames (one every 270 samples,
16.9 ms; each covering 721 samples), log-probabilities of 7 *powerset* classes: nobody, one of
speakers 1-3 alone, or one of the three pairs. Local speaker numbers mean nothing outside their
window; clustering voice prints makes them global. Hard decisions (the most likely class) as in
pyannote 3.1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streammsa import assets
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.errors import InputError

WINDOW_SAMPLES = 10 * SAMPLE_RATE
FRAME_STEP = 270  # samples between frames (SincNet stride 10 x three max-pools of 3)
FRAME_SIZE = 721  # samples each frame sees
FRAMES_PER_WINDOW = (WINDOW_SAMPLES - FRAME_SIZE) // FRAME_STEP  # 589 (what the model returns)
FRAME_STEP_S = FRAME_STEP / SAMPLE_RATE
LOCAL_SPEAKERS = 3
POWERSET = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))


def _powerset_to_multilabel() -> np.ndarray:
    m = np.zeros((len(POWERSET), LOCAL_SPEAKERS), dtype=np.float32)
    for cls, members in enumerate(POWERSET):
        m[cls, list(members)] = 1.0
    return m


POWERSET_MATRIX = _powerset_to_multilabel()


def frame_centre(frame: np.ndarray | int) -> np.ndarray | float:
    """Seconds from a window's (or the stream's) first sample to the centre of frame ``frame``."""
    return (np.asarray(frame) * FRAME_STEP + FRAME_SIZE / 2) / SAMPLE_RATE


class SpeakerSegmenter:
    """``segment(windows)``: (B, 160000) float32 -> (B, 589, 3) local speaker activity in {0, 1}."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        path = str(model_path or assets.speaker_segmentation_onnx())
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def segment(self, windows: np.ndarray) -> np.ndarray:
        x = np.asarray(windows, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != WINDOW_SAMPLES:
            raise InputError(f"segmentation windows must be (B, {WINDOW_SAMPLES}) samples at 16 kHz, got {x.shape}")
        logp = self._session.run(None, {self._input: np.ascontiguousarray(x[:, None, :])})[0]
        return POWERSET_MATRIX[np.argmax(logp, axis=-1)]
