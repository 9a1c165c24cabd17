"""How many people speak in each stream frame, from overlapping segmentation windows.

Each window's local activity (up to 3 local speakers) is summed per frame; a frame's count is the
rounded mean of those sums over the windows that covered it (pyannote 3.1's speaker counting).
Which local speaker is which is *not* used: segmentation-3.0 often gives two similar voices of
one window the same local label, so voice prints of short pieces decide identities instead.
"""

from __future__ import annotations

import numpy as np


class SpeakerCounter:
    def __init__(self) -> None:
        self.base = 0  # first frame not yet finalised
        self._sum = np.zeros(0, dtype=np.float32)
        self._covered = np.zeros(0, dtype=np.float32)

    def _grow(self, upto: int) -> None:
        need = upto - self.base - len(self._sum)
        if need > 0:
            self._sum = np.concatenate([self._sum, np.zeros(need, np.float32)])
            self._covered = np.concatenate([self._covered, np.zeros(need, np.float32)])

    def add(self, first_frame: int, local: np.ndarray) -> None:
        """``local``: (F, K) activity of a window whose frame 0 is stream frame ``first_frame``
        (frames already finalised or before the stream's start are ignored)."""
        lo, hi = max(first_frame, self.base, 0), first_frame + len(local)
        if hi <= lo:
            return
        self._grow(hi)
        rows = slice(lo - self.base, hi - self.base)
        self._sum[rows] += local[lo - first_frame : hi - first_frame].sum(axis=1)
        self._covered[rows] += 1.0

    def finalise(self, upto: int) -> np.ndarray:
        """Speaker counts (int) of frames [base, upto); they can no longer change."""
        n = max(0, upto - self.base)
        self._grow(self.base + n)
        counts = np.rint(self._sum[:n] / np.maximum(self._covered[:n], 1.0)).astype(np.int8)
        self._sum, self._covered = self._sum[n:], self._covered[n:]
        self.base += n
        return counts
