"""The words of a composed window's text.

The composition records which transcript a window's text came from, not which of its words: the
composer cuts a random run of tokens (``datasets/compose.py``). The run is found again by matching the
window's token features against the transcript's cached ones (the same cache the dataset was built
from), and each token maps back to its word. This lets a reader that reads words (the text reader,
``models/text_reader.py``) be scored on exactly the windows the fusion model is scored on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streammsa.datasets.corpus_labels import RAVDESS_STATEMENTS
from streammsa.datasets.items import list_items
from streammsa.datasets.pools import PoolCache
from streammsa.errors import InputError
from streammsa.training.dataset import Sample

STATEMENT = "ravdess_statement"


def _cache_corpus(key: str) -> str:
    corpus = key.split("/", 1)[0]
    return "ravdess_statements" if corpus == STATEMENT else corpus


def transcript_texts(shared: Path, keys: set[str]) -> dict[str, str]:
    corpora = sorted({k.split("/", 1)[0] for k in keys} - {STATEMENT})
    texts = {it.key: it.text for it in list_items(shared, corpora, ["text"])} if corpora else {}
    texts.update({f"{STATEMENT}/{n}": s for n, s in RAVDESS_STATEMENTS.items()})
    return texts


def window_words(samples: list[Sample], rows: dict[str, dict[str, str]], cache: Path, spec, shared: Path) -> list[str]:
    """Per window, the words its text tokens came from ("" where it holds no text)."""
    keys = {rows[s.id]["text_source"] for s in samples if len(s.features["text"])}
    texts = transcript_texts(shared, keys)
    store = PoolCache(cache, spec)
    cached: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for corpus in sorted({_cache_corpus(k) for k in keys}):
        for k, (_, values, words) in store.load(corpus, "text").items():
            cached[k] = (spec.text.normalise(values), words)
    out = []
    for s in samples:
        x = s.features["text"]
        if not len(x):
            out.append("")
            continue
        key = rows[s.id]["text_source"]
        if key not in cached or key not in texts:
            raise InputError(f"{key}: not in the feature cache {cache} (rebuild the composed dataset's cache)")
        values, words = cached[key]
        start = _find_run(values, x)
        if start is None:
            raise InputError(f"{s.id}: its tokens are not a run of {key}'s cached tokens (cache rebuilt since?)")
        picked = np.unique(words[start : start + len(x)])
        split = texts[key].split()
        out.append(" ".join(split[i] for i in picked))
    return out


def _find_run(values: np.ndarray, x: np.ndarray, atol: float = 1e-3) -> int | None:
    """Where the rows of ``x`` appear as consecutive rows of ``values``."""
    d = np.abs(values - x[0]).max(axis=1)
    for a in np.flatnonzero(d < atol):
        if a + len(x) <= len(values) and np.allclose(values[a : a + len(x)], x, atol=atol):
            return int(a)
    return None
