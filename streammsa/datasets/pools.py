"""Unimodal pools of monitor features from real labelled media, held out by identity, with a cache.

Every feature comes from the monitor's own extractors (extractors.py); the items and their splits
are listed by items.py (docs/composed-dataset.md has the tables).

Cache: one ``.npz`` per (corpus, modality) under ``CACHE/<modality>-<spec hash>/``, keyed by item
and stamped by file size + mtime (or the text's hash), so a rebuild only extracts what changed
and a change of the modality's FeatureSpec starts a fresh cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.datasets.corpus_labels import RAVDESS_STATEMENTS
from streammsa.datasets.extractors import MonitorExtractors
from streammsa.datasets.items import SPLITS, PoolItem
from streammsa.features.spec import FeatureSpec, ModalitySpec

EXTRACT_BATCH = 64
"""Items per extractor call between progress-bar updates."""
SAVE_EVERY = 4000
"""Extracted items between cache saves, so a long extraction survives being stopped."""


@dataclass
class PoolEntry:
    item: PoolItem
    features: np.ndarray
    """(T, D) raw monitor features; T == 0 = nothing usable (no face found, empty transcript)."""
    word_index: np.ndarray | None = None
    """Text only: (T,) word index of each token (its time slot)."""


@dataclass
class Pools:
    """Extracted entries per modality and split, plus the RAVDESS statement encodings."""

    spec: FeatureSpec
    entries: dict[str, dict[str, list[PoolEntry]]] = field(
        default_factory=lambda: {m: {s: [] for s in SPLITS} for m in MODALITIES}
    )
    statements: dict[int, PoolEntry] = field(default_factory=dict)
    unusable: dict[str, int] = field(default_factory=dict)
    """Items that gave no features, per ``corpus/modality`` (photos without a detected face, ...)."""

    def add(self, entry: PoolEntry) -> None:
        if entry.features.shape[0] == 0:
            k = f"{entry.item.corpus}/{entry.item.modality}"
            self.unusable[k] = self.unusable.get(k, 0) + 1
            return
        self.entries[entry.item.modality][entry.item.split].append(entry)


# ------------------------------------------------------------------------------------ the cache


EXTRACTOR_REVISIONS = {"face_blendshapes_fer": 2}
"""Bumped when an extractor's features change while its spec does not (a fix), so old caches are not reused:
face 2 = GRID frames read each on its own like the photos, not tracked from the previous frame (issue #10)."""


def spec_hash(mod: ModalitySpec) -> str:
    """Hash of everything that changes a modality's raw features (not its normalisation)."""
    d = {"extractor": mod.extractor, "dim": mod.dim, "rate_hz": mod.rate_hz, "params": mod.params}
    if mod.extractor in EXTRACTOR_REVISIONS:
        d["revision"] = EXTRACTOR_REVISIONS[mod.extractor]
    return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def item_stamp(item: PoolItem) -> str:
    """What must not change for a cached entry to stay valid: the file (size, mtime) or the text."""
    if item.modality == "text":
        return "text:" + hashlib.sha1(item.text.encode("utf-8")).hexdigest()
    st = os.stat(item.path)
    return f"file:{st.st_size}:{st.st_mtime_ns}"


class PoolCache:
    """Per (corpus, modality) ``.npz`` of extracted features, keyed by item key and stamp."""

    def __init__(self, root: str | Path, spec: FeatureSpec) -> None:
        self.root = Path(root).expanduser()
        self.spec = spec

    def path(self, corpus: str, modality: str) -> Path:
        return self.root / f"{modality}-{spec_hash(self.spec[modality])}" / f"{corpus}.npz"

    def load(self, corpus: str, modality: str) -> dict[str, tuple[str, np.ndarray, np.ndarray | None]]:
        """key -> (stamp, features, word_index or None); an unreadable cache file is ignored (rebuilt)."""
        path = self.path(corpus, modality)
        if not path.is_file():
            return {}
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, stamps, lengths, values = z["keys"], z["stamps"], z["lengths"], z["values"]
                words = z["word_index"] if "word_index" in z.files else None
        except (OSError, ValueError, KeyError):
            return {}
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        out = {}
        for i, k in enumerate(keys):
            a, b = int(offsets[i]), int(offsets[i + 1])
            out[str(k)] = (str(stamps[i]), values[a:b], None if words is None else words[a:b])
        return out

    def save(self, corpus: str, modality: str, entries: dict[str, tuple[str, np.ndarray, np.ndarray | None]]) -> Path:
        path = self.path(corpus, modality)
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(entries)
        dim = self.spec[modality].dim
        arrays = {
            "keys": np.asarray(keys, dtype=str),
            "stamps": np.asarray([entries[k][0] for k in keys], dtype=str),
            "lengths": np.asarray([len(entries[k][1]) for k in keys], dtype=np.int64),
            "values": (
                np.concatenate([entries[k][1].reshape(-1, dim) for k in keys])
                if keys
                else np.zeros((0, dim), np.float32)
            ),
        }
        if modality == "text":
            arrays["word_index"] = np.concatenate([entries[k][2] for k in keys]) if keys else np.zeros(0, np.int64)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)  # a build killed mid-save never leaves a half-written cache
        # Which extractor settings this folder's features came from (for people reading the cache).
        mod = self.spec[modality]
        info = {
            "name": mod.name,
            "extractor": mod.extractor,
            "dim": mod.dim,
            "rate_hz": mod.rate_hz,
            "params": mod.params,
        }
        (path.parent / "spec.json").write_text(json.dumps(info, indent=1))
        return path


# ------------------------------------------------------------------------------- building pools


@dataclass
class BuildStats:
    cached: dict[str, int] = field(default_factory=dict)
    computed: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    extractors_created: int = 0


def build_pools(
    items: Sequence[PoolItem],
    spec: FeatureSpec,
    cache_dir: str | Path,
    num_threads: int = 1,
    progress: bool = True,
    extractors: MonitorExtractors | None = None,
    statements: bool = True,
) -> tuple[Pools, BuildStats]:
    """Extract (or load from the cache) the monitor features of every item, grouped into pools.

    ``statements``: also encode the two RAVDESS sentences (when RAVDESS audio is among the items)
    for the real text-versus-voice windows; pass False when the text pool is not wanted.
    """
    import time

    from tqdm import tqdm

    cache = PoolCache(cache_dir, spec)
    ex = extractors or MonitorExtractors(spec, num_threads=num_threads)
    pools = Pools(spec)
    stats = BuildStats()
    groups: dict[tuple[str, str], list[PoolItem]] = {}
    for it in items:
        groups.setdefault((it.corpus, it.modality), []).append(it)
    needs_statements = statements and any(it.corpus == "ravdess" for it in items)
    try:
        for (corpus, modality), group in groups.items():
            t0 = time.perf_counter()
            stored = cache.load(corpus, modality)
            name = f"{corpus}/{modality}"
            stamps = {it.key: item_stamp(it) for it in group}
            misses = [it for it in group if stored.get(it.key, ("",))[0] != stamps[it.key]]
            stats.cached[name] = len(group) - len(misses)
            if not stats.cached[name]:
                del stats.cached[name]
            if misses:
                stats.computed[name] = len(misses)
                unsaved = 0
                bar = tqdm(
                    total=len(group),
                    initial=len(group) - len(misses),
                    desc=f"{name:14s}",
                    unit="item",
                    disable=not progress,
                )
                with bar:
                    for a in range(0, len(misses), EXTRACT_BATCH):
                        chunk = misses[a : a + EXTRACT_BATCH]
                        for it, (feats, words) in zip(chunk, ex.extract_many(chunk)):
                            stored[it.key] = (stamps[it.key], feats, words)
                        bar.update(len(chunk))
                        unsaved += len(chunk)
                        if unsaved >= SAVE_EVERY:  # a long extraction survives being stopped
                            cache.save(corpus, modality, stored)
                            unsaved = 0
                cache.save(corpus, modality, stored)
            for it in group:
                _, feats, words = stored[it.key]
                pools.add(PoolEntry(it, feats, words))
            stats.seconds[name] = round(time.perf_counter() - t0, 2)
        if needs_statements:
            pools.statements = _statements(cache, ex, stats)
    finally:
        ex.close()
    stats.extractors_created = ex.created
    return pools, stats


def _statements(cache: PoolCache, ex: MonitorExtractors, stats: BuildStats) -> dict[int, PoolEntry]:
    """The two RAVDESS sentences (real neutral words the actors spoke), through the monitor's text path."""
    stored = cache.load("ravdess_statements", "text")
    out, changed = {}, False
    for number, sentence in RAVDESS_STATEMENTS.items():
        item = PoolItem(
            key=f"ravdess_statement/{number}",
            corpus="ravdess_statement",
            modality="text",
            split="all",
            group=f"ravdess_statement:{number}",
            label=0.0,
            emotion="neutral",
            text=sentence,
        )
        stamp = item_stamp(item)
        hit = stored.get(item.key)
        if hit is not None and hit[0] == stamp:
            feats, words = hit[1], hit[2]
            stats.cached["ravdess_statement/text"] = stats.cached.get("ravdess_statement/text", 0) + 1
        else:
            feats, words = ex.extract(item)
            stored[item.key] = (stamp, feats, words)
            changed = True
            stats.computed["ravdess_statement/text"] = stats.computed.get("ravdess_statement/text", 0) + 1
        out[number] = PoolEntry(item, feats, words)
    if changed:
        cache.save("ravdess_statements", "text", stored)
    return out


def pool_counts(pools: Pools) -> dict:
    """Counts per modality / split / corpus, and per label value, for the manifest."""
    out: dict = {}
    for m in MODALITIES:
        out[m] = {}
        for s in SPLITS:
            ents = pools.entries[m][s]
            by_corpus: dict[str, int] = {}
            by_emotion: dict[str, int] = {}
            groups: set[str] = set()
            for e in ents:
                by_corpus[e.item.corpus] = by_corpus.get(e.item.corpus, 0) + 1
                emo = e.item.emotion or "continuous"
                by_emotion[emo] = by_emotion.get(emo, 0) + 1
                groups.add(e.item.group)
            lab = np.asarray([e.item.label for e in ents], dtype=np.float64)
            out[m][s] = {
                "items": len(ents),
                "groups": len(groups),
                "by_corpus": dict(sorted(by_corpus.items())),
                "by_emotion": dict(sorted(by_emotion.items())),
                "label_negative": int((lab <= -0.5).sum()),
                "label_neutral": int((np.abs(lab) < 0.5).sum()),
                "label_positive": int((lab >= 0.5).sum()),
                "label_mean": round(float(lab.mean()), 4) if len(lab) else None,
            }
    out["unusable"] = dict(sorted(pools.unusable.items()))
    return out
