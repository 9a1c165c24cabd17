"""How like the windows a linear reader learned from a new window is: 1 typical, 0 far outside them.

The voice reader reads held-out speakers of its corpora well (0.87-0.91 ROC AUC) and other corpora barely (0.61 /
0.63, models/voice_reader.md). A window that sounds unlike anything it learned from (another language, another
microphone and room, a synthetic voice) is where its reading means least, and where the monitor should count it
least. The standardised training vectors lie close to a few principal directions; the part of a window's vector
outside them (the residual) is small for a held-out speaker of a known corpus and several times larger for another
corpus (RAVDESS-only directions: ROC AUC 0.98 telling EmoDB windows from held-out RAVDESS ones; EmoDB-only: 1.00):

    z = (v - mu) / sigma                         the reader's own standardisation
    e = || (z - c) - P^T P (z - c) ||            P: the K leading principal directions of the training z, c their mean
    t = t_min + (1 - t_min) clip((e_max - e) / (e_max - e_typ), 0, 1)

e_typ and e_max: the median and the 99th percentile of e over held-out speakers of the training corpora (with
directions fitted without them), so a typical held-out window reads 1 and one beyond nearly all of them reads
t_min: someone is speaking, and the reading is shown, but it counts a tenth as much (at 0 the voice would count as
absent, which it is not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIRECTIONS = 32  # K: enough to hold the training corpora (the residual told corpora apart from 8 to 64 alike)
FLOOR = 0.1  # t_min: an unfamiliar voice still carries evidence of speech


@dataclass(frozen=True)
class Typicality:
    basis: np.ndarray  # (K, D) principal directions of the standardised training vectors
    centre: np.ndarray  # (D,) their mean
    typical: float  # e_typ: residual of a typical held-out window (t = 1 below it)
    limit: float  # e_max: residual at which t reaches FLOOR

    def residual(self, z: np.ndarray) -> np.ndarray:
        """(N, D) standardised vectors -> (N,) the norm of their part outside the training directions."""
        d = np.asarray(z, np.float64) - self.centre
        inside = d @ self.basis.T
        return np.sqrt(np.maximum((d * d).sum(1) - (inside * inside).sum(1), 0.0))

    def of(self, z: np.ndarray) -> np.ndarray:
        """(N, D) standardised vectors -> (N,) typicality in [FLOOR, 1]."""
        ramp = np.clip((self.limit - self.residual(z)) / (self.limit - self.typical), 0.0, 1.0)
        return FLOOR + (1.0 - FLOOR) * ramp

    @staticmethod
    def directions(z: np.ndarray, k: int = DIRECTIONS) -> tuple[np.ndarray, np.ndarray]:
        """The K leading principal directions of ``z`` and its mean."""
        centre = z.mean(0)
        _, _, vt = np.linalg.svd(z - centre, full_matrices=False)
        return vt[:k], centre

    @classmethod
    def fit(cls, z_fit: np.ndarray, z_train: np.ndarray, z_held_out: np.ndarray, k: int = DIRECTIONS) -> Typicality:
        """Directions from ``z_fit`` (everything the reader was fitted on); e_typ and e_max from ``z_held_out``'s
        residuals under directions fitted on ``z_train`` alone (speakers those directions never saw)."""
        probe = cls(*cls.directions(z_train, k), 0.0, 1.0)
        typical, limit = np.percentile(probe.residual(z_held_out), [50, 99])
        return cls(*cls.directions(z_fit, k), float(typical), float(limit))

    def arrays(self) -> dict[str, np.ndarray]:
        """What a reader's file stores (``typicality_*``)."""
        return {
            "typicality_basis": self.basis.astype(np.float32),
            "typicality_centre": self.centre.astype(np.float32),
            "typicality_range": np.asarray([self.typical, self.limit], np.float64),
        }

    @classmethod
    def from_arrays(cls, parts: dict[str, np.ndarray]) -> Typicality | None:
        """The stored typicality; None for a file fitted before it existed (every window then counts as typical)."""
        if "typicality_basis" not in parts:
            return None
        typical, limit = (float(v) for v in parts["typicality_range"])
        return cls(
            np.asarray(parts["typicality_basis"], np.float64),
            np.asarray(parts["typicality_centre"], np.float64),
            typical,
            limit,
        )
