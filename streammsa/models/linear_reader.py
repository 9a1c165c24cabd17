"""A modality's own reading as a ridge regression over pooled features (the voice and face readers).

    r = w . (v - mu) / sigma + b          v: one pooled feature vector per window; clamped to -3..+3

The file (``.npz``) stores mu, sigma, w, b, the reader's format and the sha256 of the model whose outputs it
reads (the Whisper encoder for the voice, the expression classifier for the face): a reader fits exactly the
features it was fitted on, and refuses others with one line. A reader may also store how typical a window is of
what it was fitted on (``models/typicality.py``), which the monitor multiplies into the modality's confidence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.errors import InputError
from streammsa.file_hash import file_sha256
from streammsa.models.typicality import Typicality


class LinearReader:
    NAME = "linear reader"  # named in errors, e.g. "voice reader"
    FORMAT = "streammsa.linear_reader/1"  # what ``save`` writes
    OLDER_FORMATS: tuple[str, ...] = ()  # files of earlier versions that still load
    SCRIPT = ""  # what fits this kind of reader (named in errors)
    BASE = ""  # the model its features come from (named in errors)
    FILENAME = ""  # the shipped file's name under models/
    MIN_ROWS = 1  # fewer rows in a window than this: too little to read (NaN)
    EXTRA_PREFIX = ""  # arrays of the file named so are the kind's own (``extra_arrays`` / ``load_extra``)

    @staticmethod
    def pool(rows: np.ndarray) -> np.ndarray:
        """One window's rows (T, D) -> the vector the regression reads."""
        raise NotImplementedError

    def read(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """One reading per window of rows; NaN for a window with fewer than ``MIN_ROWS``."""
        return self._per_window(windows, self.read_pooled)

    def _per_window(self, windows: Sequence[np.ndarray], of_pooled: Any, width: int | None = None) -> np.ndarray:
        """``of_pooled`` of each window's pooled rows ((N,), or (N, width)); NaN for a window with fewer than
        ``MIN_ROWS``."""
        out = np.full(len(windows) if width is None else (len(windows), width), np.nan)
        keep = [i for i, rows in enumerate(windows) if len(rows) >= self.MIN_ROWS]
        if keep:
            out[keep] = of_pooled(np.stack([self.pool(windows[i]) for i in keep]))
        return out

    @staticmethod
    def base_file() -> Path:
        """The model file whose outputs this kind of reader reads (its sha256 is checked at load)."""
        raise NotImplementedError

    @classmethod
    def default_path(cls) -> Path:
        """Where the monitor looks for the reader: ./models first, then the shipped models."""
        from streammsa.paths import model_file

        return model_file(cls.FILENAME)

    @classmethod
    def load_default(cls, path: str | Path | None = None) -> Any:
        """The reader of ``path`` (default: the shipped one) over the installed base model."""
        return cls.load(path if path is not None else cls.default_path(), cls.base_file())

    def __init__(
        self, mu: np.ndarray, sigma: np.ndarray, w: np.ndarray, b: float | np.ndarray, meta: dict[str, Any]
    ) -> None:
        self.mu = np.asarray(mu, np.float64)
        self.sigma = np.asarray(sigma, np.float64)
        self.w = np.asarray(w, np.float64)
        self.b = float(b) if np.ndim(b) == 0 else np.asarray(b, np.float64)
        self.meta = dict(meta)
        self.typicality: Typicality | None = None  # None: every window counts as typical

    def standardised(self, v: np.ndarray) -> np.ndarray:
        return (np.asarray(v, np.float64) - self.mu) / self.sigma

    def read_pooled(self, v: np.ndarray) -> np.ndarray:
        """(N, D) pooled vectors -> (N,) readings, clamped to -3..+3."""
        return np.clip(self.reading(self.standardised(v)), -3.0, 3.0)

    def typicality_pooled(self, v: np.ndarray) -> np.ndarray:
        """(N, D) pooled vectors -> (N,) how typical each is of the reader's training windows (1 without a fit)."""
        if self.typicality is None:
            return np.ones(len(v))
        return self.typicality.of(self.standardised(v))

    def typicality_of(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """``read``'s windows -> their typicality (NaN where ``read`` reads NaN)."""
        return self._per_window(windows, self.typicality_pooled)

    def read_with_typicality(self, windows: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``read`` and ``typicality_of`` of the same windows, each window pooled once (the monitor's path)."""
        both = self._per_window(windows, lambda v: np.c_[self.read_pooled(v), self.typicality_pooled(v)], width=2)
        return both[:, 0], both[:, 1]

    def reading(self, z: np.ndarray) -> np.ndarray:
        """(N, D) standardised vectors -> (N,) readings."""
        return z @ self.w + self.b  # r = w . (v - mu) / sigma + b

    def extra_arrays(self) -> dict[str, np.ndarray]:
        """What a kind of reader stores beside the regression (names start with ``EXTRA_PREFIX``)."""
        return {}

    def load_extra(self, arrays: dict[str, np.ndarray]) -> None:
        """``extra_arrays`` of a loaded file."""

    def save(self, path: str | Path, base_file: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"format": self.FORMAT, "base_sha256": file_sha256(base_file), "meta": self.meta}
        with open(path, "wb") as fh:  # np.savez would append .npz to a name without it
            np.savez(
                fh,
                header=np.asarray(json.dumps(header)),
                mu=self.mu.astype(np.float32),
                sigma=self.sigma.astype(np.float32),
                w=self.w.astype(np.float32),
                b=np.asarray(self.b),
                **(self.typicality.arrays() if self.typicality is not None else {}),
                **self.extra_arrays(),
            )
        return path

    @classmethod
    def load(cls, path: str | Path, base_file: Path) -> Any:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path} not found: the {cls.NAME} (run the set-up again, or {cls.SCRIPT})")
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                parts = {k: z[k] for k in ("mu", "sigma", "w", "b")}
                typicality = Typicality.from_arrays({k: z[k] for k in z.files if k.startswith("typicality_")})
                extra = {k: z[k] for k in z.files if k.startswith(cls.EXTRA_PREFIX)} if cls.EXTRA_PREFIX else {}
        except (ValueError, KeyError, OSError) as exc:
            raise InputError(f"{path} is not a streammsa {cls.NAME}: refit it with {cls.SCRIPT}") from exc
        if header.get("format") not in (cls.FORMAT, *cls.OLDER_FORMATS):
            raise InputError(f"{path} is not a streammsa {cls.NAME} ({cls.FORMAT}): refit it with {cls.SCRIPT}")
        if header["base_sha256"] != file_sha256(base_file):
            raise InputError(
                f"{path} was fitted over other {cls.BASE} weights than {base_file}: reinstall the pinned model "
                f"or refit it with {cls.SCRIPT}"
            )
        reader = cls(parts["mu"], parts["sigma"], parts["w"], parts["b"], header.get("meta", {}))
        reader.typicality = typicality
        reader.load_extra(extra)
        return reader
