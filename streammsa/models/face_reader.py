"""The face reading: what a face alone says, on the -3..+3 scale.

The face features hold the bundled expression classifier's seven probabilities (FER: angry, disgust, fear,
happy, sad, surprise, neutral) beside MediaPipe's blendshapes and head pose. CACR's face head ranked held-out
faces below the classifier's own happy probability (0.922 vs 0.960, docs/live-results.md): the model loses what
its features carry. The face reader reads the classifier directly:

    p = mean over the window's frames with a face of FER(frame)      7 expression probabilities
    v = log(p + 0.001)                                               (differences among the unlikely ones count)
    P(k | v) = softmax_k(W_k . (v - mu) / sigma + b_k)               k: negative, neutral, positive face
    r = sum_k P(k | v) * valence_k                                   the expected valence

fitted on the faces corpus's training identities (``training/face_reader.py``; valence_k: the mean label of the
training faces of polarity k). A ridge regression onto valence (format 1, sessions 7-11) drew angry faces towards
0 to keep neutral ones there; the polarity probabilities keep both (docs/live-results.md, session 12). Files of
format 1 still load and read as before.
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
    FORMAT = "streammsa.face_reader/2"  # w (7, 3), b (3,), meta["valence"] (3,)
    OLDER_FORMATS = ("streammsa.face_reader/1",)  # ridge: w (7,), b
    SCRIPT = "scripts/train_face_reader.py"
    BASE = "expression classifier"

    pool = staticmethod(pooled_expressions)  # a window without a face has no rows: no reading

    def describe(self) -> str:
        """What kind of reader this is, for records and ``streammsa doctor``."""
        if self.w.ndim == 1:
            return f"ridge over the expression classifier (alpha {self.meta.get('alpha', '?')})"
        return f"polarity probabilities over the expression classifier (C {self.meta.get('strength', '?')})"

    def reading(self, z: np.ndarray) -> np.ndarray:
        if self.w.ndim == 1:  # format 1: ridge regression
            return super().reading(z)
        logits = z @ self.w + self.b  # W_k . (v - mu) / sigma + b_k
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)  # P(k | v)
        return p @ np.asarray(self.meta["valence"], np.float64)  # r = sum_k P(k | v) valence_k

    @staticmethod
    def base_file() -> Path:
        """The expression classifier whose probabilities the reader reads."""
        from streammsa import assets

        return assets.fer_tflite()


default_path = FaceReader.default_path
load_face_reader = FaceReader.load_default
