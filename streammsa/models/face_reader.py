"""The face reading: what a face alone says, on the -3..+3 scale.

The face features hold the bundled expression classifier's seven probabilities (FER: angry, disgust, fear,
happy, sad, surprise, neutral) beside MediaPipe's blendshapes and head pose. CACR's face head ranked held-out
faces below the classifier's own happy probability (0.922 vs 0.960, docs/live-results.md): the model loses what
its features carry. The face reader reads the classifier directly:

    p = mean over the window's frames with a face of FER(frame)      7 expression probabilities
    v = log(p + 0.001)                                               (differences among the unlikely ones count)
    r = w . (v - mu) / sigma + b                                     ridge regression onto the faces' valence

fitted on the faces corpus's training identities (``training/face_reader.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streammsa.features.vision import FER_SLICE
from streammsa.models.linear_reader import LinearReader

FILENAME = "face_reader.npz"


def pooled_expressions(frames: np.ndarray) -> np.ndarray:
    """(T, 62) face features of one window's frames with a face -> (7,) log mean expression probabilities."""
    return np.log(np.asarray(frames, np.float64)[:, FER_SLICE].mean(0) + 1e-3)


class FaceReader(LinearReader):
    NAME = "face reader"
    FILENAME = FILENAME
    FORMAT = "streammsa.face_reader/1"
    SCRIPT = "scripts/train_face_reader.py"
    BASE = "expression classifier"

    pool = staticmethod(pooled_expressions)  # a window without a face has no rows: no reading

    @staticmethod
    def base_file() -> Path:
        """The expression classifier whose probabilities the reader reads."""
        from streammsa import assets

        return assets.fer_tflite()


default_path = FaceReader.default_path
load_face_reader = FaceReader.load_default
