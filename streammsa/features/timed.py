"""A feature sequence time-stamped on the stream clock (what every extractor returns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TimedFeatures:
    """``times`` (N,) float64 seconds on the stream clock, non-decreasing; ``values`` (N, dim) float32."""

    times: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        values = np.asarray(self.values, dtype=np.float32)
        if values.ndim != 2 or values.shape[0] != times.shape[0]:
            raise ValueError(f"TimedFeatures: {times.shape[0]} times for values of shape {values.shape}")
        # frozen dataclass: normalise dtypes in place once, so consumers never re-check them
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return int(self.times.shape[0])

    @property
    def dim(self) -> int:
        return int(self.values.shape[1])

    @classmethod
    def empty(cls, dim: int) -> "TimedFeatures":
        return cls(np.zeros(0, dtype=np.float64), np.zeros((0, dim), dtype=np.float32))

    @classmethod
    def concat(cls, parts: list["TimedFeatures"], dim: int) -> "TimedFeatures":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty(dim)
        return cls(np.concatenate([p.times for p in parts]), np.concatenate([p.values for p in parts]))

    def shifted(self, dt: float) -> "TimedFeatures":
        """The same features with every time moved by ``dt`` seconds (e.g. segment -> stream clock)."""
        return TimedFeatures(self.times + dt, self.values)
