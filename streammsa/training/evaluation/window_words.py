"""The words of a composed window's text.

The composition records which transcript a window's text came from, not which of its words: the
composer cuts a random run of tokens (``datasets/compose.py``). The run is found again by matching the
window's token features against the transcript's cached ones (the same cache the dataset was built
from), and each token maps back to its word. This lets a reader that reads words (the text reader,
``models/text_reader.py``) be scored on exactly the windows the fusion model is scored on, reading what the
monitor's reader reads: the window's words with the start of their sentence (``window_pieces``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streammsa.asr.words import Word
from streammsa.datasets.corpus_labels import RAVDESS_STATEMENTS
from streammsa.datasets.items import list_items
from streammsa.datasets.pools import PoolCache
from streammsa.engine.readings import SentencePiece, sentence_pieces
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


def window_runs(
    samples: list[Sample], rows: dict[str, dict[str, str]], cache: Path, spec, shared: Path
) -> list[tuple[list[str], np.ndarray] | None]:
    """Per window, its transcript's words and the indices of those its text tokens came from (None: no text)."""
    keys = {rows[s.id]["text_source"] for s in samples if len(s.features["text"])}
    texts = transcript_texts(shared, keys)
    store = PoolCache(cache, spec)
    cached: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for corpus in sorted({_cache_corpus(k) for k in keys}):
        for k, (_, values, words) in store.load(corpus, "text").items():
            cached[k] = (spec.text.normalise(values), words)
    out: list[tuple[list[str], np.ndarray] | None] = []
    for s in samples:
        x = s.features["text"]
        if not len(x):
            out.append(None)
            continue
        key = rows[s.id]["text_source"]
        if key not in cached or key not in texts:
            raise InputError(f"{key}: not in the feature cache {cache} (rebuild the composed dataset's cache)")
        values, words = cached[key]
        start = _find_run(values, x)
        if start is None:
            raise InputError(f"{s.id}: its tokens are not a run of {key}'s cached tokens (cache rebuilt since?)")
        out.append((texts[key].split(), np.unique(words[start : start + len(x)])))
    return out


def run_pieces(words: list[str], picked: np.ndarray, window_s: float) -> list[SentencePiece]:
    """What the monitor's text reader reads for a window holding the words ``picked`` of a transcript
    (``engine/readings.sentence_pieces``: the start of the window's first sentence comes with it). A composed
    window keeps no word times, so the words are laid out evenly at the rate the window's own words imply
    (the composer's layout, ``datasets/compose.py``), and only punctuation ends a sentence."""
    rate = len(picked) / window_s
    timed = [Word(w, i / rate, (i + 1) / rate) for i, w in enumerate(words[: int(picked[-1]) + 1])]
    t_start = float(picked[0]) / rate
    return sentence_pieces(timed, t_start, t_start + window_s)


def window_pieces(
    samples: list[Sample], rows: dict[str, dict[str, str]], cache: Path, spec, shared: Path
) -> list[list[SentencePiece]]:
    """Per window, the sentence pieces the monitor's text reader would read ([] where it holds no text)."""
    runs = window_runs(samples, rows, cache, spec, shared)
    return [[] if r is None else run_pieces(r[0], r[1], spec.window_s) for r in runs]


def _find_run(values: np.ndarray, x: np.ndarray, atol: float = 1e-3) -> int | None:
    """Where the rows of ``x`` appear as consecutive rows of ``values``."""
    d = np.abs(values - x[0]).max(axis=1)
    for a in np.flatnonzero(d < atol):
        if a + len(x) <= len(values) and np.allclose(values[a : a + len(x)], x, atol=atol):
            return int(a)
    return None
