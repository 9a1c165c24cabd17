"""Unimodal pools of *live* features from real labelled media, held out by identity, with a cache.

Every feature here comes from the monitor's own extractors, built from the same FeatureSpec
(``extractors_from_spec``) and fed the way the monitor feeds them:

* text: ``TextEncoder.encode_words`` (the live ASR path) on the transcript's words, each word
  given a unit slot (word ``i`` spans ``[i, i+1)``), so a token's time is its word index + 0.5;
  the composer later stretches the slots to a speaking rate and slices a window (compose.py).
* audio: the file decoded by ``MediaFileSource`` (the monitor's PyAV path, float32 mono 16 kHz)
  and pushed chunk by chunk through ``AudioFeatureExtractor.stream`` (the live streaming path).
* vision: GRID video frames from ``MediaFileSource``, rate-gated by ``FaceFeatureExtractor.due``
  and analysed by ``process`` (VIDEO mode, a fresh extractor per clip, as a new camera stream);
  face photos by ``process_image`` (one vector per still photo). No face -> no step.

Pools and held-out identities (docs/live-dataset.md has the tables):

==========  ========  =========================================  ==============================
pool        corpus    label                                      split by
==========  ========  =========================================  ==============================
text        mosi      label.csv ``label``                        standard ``mode`` (video-disjoint)
text        mosei     label.csv ``label``                        standard ``mode`` (video-disjoint)
text        grid      0 (neutral command sentences)              GRID speaker (RAVDESS-style table)
audio       ravdess   intensity_for(emotion, level)              actor
audio       emodb     intensity_for(emotion)                     speaker
audio       grid      0 (neutral voice)                          GRID speaker
vision      faces     intensity_for(emotion)                     person (file-name prefix)
vision      grid      0 (neutral talking face)                   GRID speaker
==========  ========  =========================================  ==============================

Cache: one ``.npz`` per (corpus, modality) under ``CACHE/<modality>-<spec hash>/``, keyed by item
and stamped by file size + mtime (or the text's hash), so a rebuild only extracts what changed
and a change of the modality's FeatureSpec starts a fresh cache.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec, ModalitySpec
from streammsa.training import labels as L

SPLITS = ("train", "valid", "test")
CORPORA = ("mosi", "mosei", "ravdess", "emodb", "faces", "grid")
EXTRACT_BATCH = 64
"""Items per extractor call between progress-bar updates."""
SAVE_EVERY = 4000
"""Extracted items between cache saves, so a long extraction survives being stopped."""

# RAVDESS: 23 actors here (05 is missing). Held-out actors balanced by sex (odd = male).
RAVDESS_SPLIT: dict[int, str] = {a: "train" for a in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14)}
RAVDESS_SPLIT.update({a: "valid" for a in (15, 16, 17, 18)})
RAVDESS_SPLIT.update({a: "test" for a in (19, 20, 21, 22, 23, 24)})
# EmoDB: 10 speakers; one male + one female speaker each for valid and test.
EMODB_SPLIT: dict[int, str] = {s: "train" for s in (3, 8, 9, 10, 11, 13)}
EMODB_SPLIT.update({12: "valid", 14: "valid", 15: "test", 16: "test"})
# GRID: the file names here encode the sentence, not the speaker. Speakers were told apart by
# looking at one frame of each clip: id2_vcd_swwp2s and pwij3p show the same man; the other
# nine clips show nine different people (10 speakers in all).
GRID_SPEAKER: dict[str, str] = {
    "bbaf2n": "g01", "brbk7n": "g02", "id2_vcd_swwp2s": "g03", "pwij3p": "g03", "lbax4n": "g04",
    "lbbc2a": "g05", "lrwp9a": "g06", "lwbsza": "g07", "sbia1a": "g08", "sbwe5n": "g09", "swiz3n": "g10",
}  # fmt: skip
GRID_SPLIT: dict[str, str] = {g: "train" for g in ("g01", "g02", "g03", "g04", "g06", "g09")}
GRID_SPLIT.update({"g05": "valid", "g08": "valid", "g07": "test", "g10": "test"})
# GRID sentence grammar: command colour preposition letter digit adverb, one letter each.
_GRID_WORDS = (
    {"b": "bin", "l": "lay", "p": "place", "s": "set"},
    {"b": "blue", "g": "green", "r": "red", "w": "white"},
    {"a": "at", "b": "by", "i": "in", "w": "with"},
    None,  # the letter itself
    {"z": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
     "7": "seven", "8": "eight", "9": "nine"},
    {"a": "again", "n": "now", "p": "please", "s": "soon"},
)  # fmt: skip
# Faces: identity holdout by person, a stable hash of the group name -> split (70 / 15 / 15 %).
FACES_FRACTIONS = (0.70, 0.15, 0.15)


@dataclass(frozen=True)
class PoolItem:
    """One labelled unimodal source (a transcript, an audio clip, a video clip or a photo)."""

    key: str
    """Unique ``corpus/name`` (a GRID clip gives one item per modality with the same key)."""
    corpus: str
    modality: str
    split: str
    group: str
    """Identity that must never cross splits (video, actor, speaker, person)."""
    label: float
    emotion: str | None = None
    confidence: float = 1.0
    path: str = ""
    text: str = ""
    still: bool = False
    """A photo: one feature vector, no dynamics (the composer replicates it over the window)."""


@dataclass
class PoolEntry:
    item: PoolItem
    features: np.ndarray
    """(T, D) raw live features; T == 0 = nothing usable (no face found, empty transcript)."""
    word_index: np.ndarray | None = None
    """Text only: (T,) word index of each token (its time slot)."""


@dataclass
class Pools:
    """Extracted entries per modality and split, plus the RAVDESS statement encodings."""

    spec: FeatureSpec
    entries: dict[str, dict[str, list[PoolEntry]]] = field(default_factory=lambda: {m: {s: [] for s in SPLITS} for m in MODALITIES})
    statements: dict[int, PoolEntry] = field(default_factory=dict)
    unusable: dict[str, int] = field(default_factory=dict)
    """Items that gave no features, per ``corpus/modality`` (photos without a detected face, ...)."""

    def add(self, entry: PoolEntry) -> None:
        if entry.features.shape[0] == 0:
            k = f"{entry.item.corpus}/{entry.item.modality}"
            self.unusable[k] = self.unusable.get(k, 0) + 1
            return
        self.entries[entry.item.modality][entry.item.split].append(entry)


# ------------------------------------------------------------------------------- listing items

def _limited(items: list[PoolItem], limit: int | None) -> list[PoolItem]:
    """At most ``limit`` items, picked by a stable hash so every split stays represented."""
    if limit is None or len(items) <= limit:
        return items
    ranked = sorted(items, key=lambda it: hashlib.sha1(it.key.encode()).hexdigest())
    return sorted(ranked[:limit], key=lambda it: it.key)


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"{path} not found: {what} (point --data at ../shared/data)")
    return path


def list_transcripts(root: Path, corpus: str) -> list[PoolItem]:
    """MOSI / MOSEI transcripts with their standard split; the group is the source video."""
    path = _need(root / corpus / "label.csv", f"the {corpus.upper()} transcripts")
    items = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            mode = row["mode"].strip().lower()
            if mode not in SPLITS:
                raise InputError(f"{path}: split {row['mode']!r} is not one of {SPLITS}")
            text = row["text"].strip()
            if not text:
                continue
            label = float(row["label"])
            items.append(PoolItem(
                key=f"{corpus}/{row['video_id']}/{row['clip_id']}", corpus=corpus, modality="text", split=mode,
                group=f"{corpus}:{row['video_id']}", label=max(L.INTENSITY_MIN, min(L.INTENSITY_MAX, label)), text=text,
            ))  # fmt: skip
    return items


def list_ravdess(root: Path) -> list[PoolItem]:
    folder = _need(root / "ravdess" / "audio", "the RAVDESS audio")
    items = []
    for p in sorted(folder.glob("Actor_*/*.flac")):
        info = L.parse_ravdess(p)
        if info["vocal_channel"] != "speech":
            continue
        items.append(PoolItem(
            key=f"ravdess/{p.stem}", corpus="ravdess", modality="audio", split=RAVDESS_SPLIT[info["actor"]],
            group=f"ravdess:actor{info['actor']:02d}", label=L.intensity_for(info["emotion"], info["intensity_level"]),
            emotion=info["emotion"], confidence=L.sample_confidence(info["emotion"]), path=str(p), text=info["text"],
        ))  # fmt: skip
    if not items:
        raise InputError(f"{folder} holds no RAVDESS Actor_XX/*.flac speech clips")
    return items


def list_emodb(root: Path) -> list[PoolItem]:
    folder = _need(root / "emodb" / "audio", "the EmoDB audio")
    rec_path = root / "emodb" / "erkennung.txt"
    recognition = L.read_emodb_recognition(rec_path) if rec_path.exists() else {}
    items = []
    for p in sorted(folder.glob("*.flac")):
        info = L.parse_emodb(p)
        rec = recognition.get(p.stem)
        # German words: usable as voice only, never as English text.
        items.append(PoolItem(
            key=f"emodb/{p.stem}", corpus="emodb", modality="audio", split=EMODB_SPLIT[info["speaker"]],
            group=f"emodb:speaker{info['speaker']:02d}", label=L.intensity_for(info["emotion"]), emotion=info["emotion"],
            confidence=L.sample_confidence(info["emotion"], rec.recognised if rec else None), path=str(p),
        ))  # fmt: skip
    if not items:
        raise InputError(f"{folder} holds no EmoDB *.flac clips")
    return items


def face_group(image_name: str) -> str:
    """Person of a face photo: the name without its trailing photo number (``George_W_Bush_0012.jpg``
    -> ``George_W_Bush``, ``Avinash_10.jpg`` -> ``Avinash``); names without one are their own group."""
    stem = Path(image_name).stem
    m = re.fullmatch(r"(.+?)_+\d+", stem)
    return m[1] if m else stem


def hash_split(group: str, fractions: Sequence[float] = FACES_FRACTIONS) -> str:
    """Stable split of a group name: sha1 -> a number in [0, 1) -> train / valid / test by ``fractions``."""
    u = int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:12], 16) / float(16**12)
    edge = 0.0
    for split, frac in zip(SPLITS, fractions):
        edge += frac
        if u < edge:
            return split
    return SPLITS[-1]


def list_faces(root: Path) -> list[PoolItem]:
    path = _need(root / "faces" / "labels.csv", "the face photo labels")
    images = root / "faces" / "images"
    items = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            emotion = L.faces_emotion(row["emotion"])
            group = face_group(row["image"])
            items.append(PoolItem(
                key=f"faces/{row['image']}", corpus="faces", modality="vision", split=hash_split(group),
                group=f"faces:{group}", label=L.intensity_for(emotion), emotion=emotion,
                confidence=L.sample_confidence(emotion), path=str(images / row["image"]), still=True,
            ))  # fmt: skip
    return items


def grid_sentence(name: str) -> str:
    """The spoken sentence of a GRID clip from its name (``bbaf2n`` -> ``bin blue at f two now``)."""
    code = Path(name).stem.split("_")[-1].lower()
    if len(code) != 6:
        raise InputError(f"{name!r} is not a GRID clip name: expected six letters/digits like bbaf2n")
    words = []
    for ch, table in zip(code, _GRID_WORDS):
        if table is None:
            words.append(ch)
        elif ch in table:
            words.append(table[ch])
        else:
            raise InputError(f"{name!r}: {ch!r} is not a GRID word code")
    return " ".join(words)


def list_grid(root: Path) -> list[PoolItem]:
    """Each GRID clip as three items (its transcript, its voice, its talking face), all neutral (0)."""
    folder = _need(root / "grid", "the GRID clips")
    items = []
    for p in sorted(folder.glob("*.mpg")):
        speaker = GRID_SPEAKER.get(p.stem)
        if speaker is None:
            raise InputError(f"{p.name}: unknown GRID clip; add its speaker to GRID_SPEAKER (live_dataset.py) after looking at it")
        for m in MODALITIES:
            items.append(PoolItem(
                key=f"grid/{p.stem}", corpus="grid", modality=m, split=GRID_SPLIT[speaker], group=f"grid:{speaker}",
                label=0.0, emotion="neutral", path=str(p), text=grid_sentence(p.stem),
            ))  # fmt: skip
    return items


def list_items(root: str | Path, corpora: Iterable[str] = CORPORA, modalities: Iterable[str] = MODALITIES,
               limit: int | None = None) -> list[PoolItem]:
    """Every labelled item of the chosen corpora and modalities (``limit`` per corpus and modality)."""
    root = Path(root)
    corpora, modalities = list(corpora), set(modalities)
    unknown = [c for c in corpora if c not in CORPORA]
    if unknown:
        raise InputError(f"unknown corpus {unknown[0]!r}: use any of {', '.join(CORPORA)}")
    listers: dict[str, Callable[[], list[PoolItem]]] = {
        "mosi": lambda: list_transcripts(root, "mosi"),
        "mosei": lambda: list_transcripts(root, "mosei"),
        "ravdess": lambda: list_ravdess(root),
        "emodb": lambda: list_emodb(root),
        "faces": lambda: list_faces(root),
        "grid": lambda: list_grid(root),
    }
    out: list[PoolItem] = []
    for c in corpora:
        found = [it for it in listers[c]() if it.modality in modalities]
        for m in MODALITIES:
            out.extend(_limited([it for it in found if it.modality == m], limit))
    return out


# ------------------------------------------------------------------------------------ the cache

def spec_hash(mod: ModalitySpec) -> str:
    """Hash of everything that changes a modality's raw features (not its normalisation)."""
    d = {"extractor": mod.extractor, "dim": mod.dim, "rate_hz": mod.rate_hz, "params": mod.params}
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
            "values": np.concatenate([entries[k][1].reshape(-1, dim) for k in keys]) if keys else np.zeros((0, dim), np.float32),
        }
        if modality == "text":
            arrays["word_index"] = np.concatenate([entries[k][2] for k in keys]) if keys else np.zeros(0, np.int64)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)  # a build killed mid-save never leaves a half-written cache
        # Which extractor settings this folder's features came from (for people reading the cache).
        mod = self.spec[modality]
        info = {"name": mod.name, "extractor": mod.extractor, "dim": mod.dim, "rate_hz": mod.rate_hz, "params": mod.params}
        (path.parent / "spec.json").write_text(json.dumps(info, indent=1))
        return path


# ---------------------------------------------------------------------------- the extractors

@dataclass
class _Word:
    w: str
    start: float
    end: float


class LiveExtractors:
    """The monitor's extractors for ``spec``, created on first use (a fully cached build creates none).

    ``computed`` counts items actually run through an extractor, per ``corpus/modality``;
    ``created`` counts extractor constructions.
    """

    def __init__(self, spec: FeatureSpec, num_threads: int = 1) -> None:
        import torch

        # Other work shares this CPU: one intra-op thread per extractor unless asked otherwise.
        torch.set_num_threads(max(1, int(num_threads)))
        self.spec = spec
        self.num_threads = num_threads
        self._text = None
        self._audio = None
        self._photo = None
        self.computed: dict[str, int] = {}
        self.created = 0

    def _count(self, item: PoolItem) -> None:
        k = f"{item.corpus}/{item.modality}"
        self.computed[k] = self.computed.get(k, 0) + 1

    @property
    def text(self):
        if self._text is None:
            from streammsa.features.text import TextEncoder

            self._text = TextEncoder.from_spec(self.spec.text)
            self.created += 1
        return self._text

    @property
    def audio(self):
        if self._audio is None:
            from streammsa.features.audio import AudioFeatureExtractor

            self._audio = AudioFeatureExtractor.from_spec(self.spec.audio)
            self.created += 1
        return self._audio

    def _face(self):
        from streammsa.features.vision import FaceFeatureExtractor

        self.created += 1
        return FaceFeatureExtractor.from_spec(self.spec.vision)

    def encode_text(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Tokens of a transcript through the live ``encode_words`` path; word ``i`` occupies [i, i+1)."""
        words = [_Word(w, float(i), float(i + 1)) for i, w in enumerate(text.split())]
        timed = self.text.encode_words(words)
        return timed.values, np.floor(timed.times).astype(np.int64)

    def extract(self, item: PoolItem) -> tuple[np.ndarray, np.ndarray | None]:
        return self.extract_many([item])[0]

    def extract_many(self, items: Sequence[PoolItem]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Features (and text word indices) of each item, in order."""
        for item in items:
            self._count(item)
        out: list[tuple[np.ndarray, np.ndarray | None]] = []
        for item in items:
            # One transcript per forward pass, exactly as the monitor encodes a committed segment
            # (encode_batch would pad texts together: 5e-6 different and no faster on this CPU).
            if item.modality == "text":
                out.append(self.encode_text(item.text))
            elif item.modality == "audio":
                out.append((self._audio_file(item.path), None))
            elif item.still:
                out.append((self._photo_features(item.path), None))
            else:
                out.append((self._video_file(item.path), None))
        return out

    def _audio_file(self, path: str) -> np.ndarray:
        from streammsa.capture.media_file import MediaFileSource
        from streammsa.capture.packets import AudioChunk

        stream = self.audio.stream(0.0)
        parts = []
        with MediaFileSource(path, video=False) as src:
            for pkt in src:
                if isinstance(pkt, AudioChunk):
                    parts.append(stream.push(pkt.samples).values)
            if src.error:
                raise InputError(f"{path}: {src.error}")
        parts.append(stream.flush().values)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _video_file(self, path: str) -> np.ndarray:
        from streammsa.capture.media_file import MediaFileSource
        from streammsa.capture.packets import VideoFrame

        rows = []
        with self._face() as face, MediaFileSource(path, audio=False) as src:
            for pkt in src:
                if isinstance(pkt, VideoFrame) and face.due(pkt.t):
                    v = face.process(pkt.image, pkt.t)
                    if v is not None:
                        rows.append(v)
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.spec.vision.dim), np.float32)

    def _photo_features(self, path: str) -> np.ndarray:
        import cv2

        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(f"{path}: not a readable image")
        if self._photo is None:
            self._photo = self._face()
        v = self._photo.process_image(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        return np.zeros((0, self.spec.vision.dim), np.float32) if v is None else v[None, :].astype(np.float32)

    def close(self) -> None:
        if self._photo is not None:
            self._photo.close()
            self._photo = None


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
    extractors: LiveExtractors | None = None,
    statements: bool = True,
) -> tuple[Pools, BuildStats]:
    """Extract (or load from the cache) the live features of every item, grouped into pools.

    ``statements``: also encode the two RAVDESS sentences (when RAVDESS audio is among the items)
    for the real text-versus-voice windows; pass False when the text pool is not wanted.
    """
    import time

    from tqdm import tqdm

    cache = PoolCache(cache_dir, spec)
    ex = extractors or LiveExtractors(spec, num_threads=num_threads)
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
                with tqdm(total=len(group), initial=len(group) - len(misses), desc=f"{name:14s}", unit="item", disable=not progress) as bar:
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


def _statements(cache: PoolCache, ex: LiveExtractors, stats: BuildStats) -> dict[int, PoolEntry]:
    """The two RAVDESS sentences (real neutral words the actors spoke), through the live text path."""
    stored = cache.load("ravdess_statements", "text")
    out, changed = {}, False
    for number, sentence in L.RAVDESS_STATEMENTS.items():
        item = PoolItem(key=f"ravdess_statement/{number}", corpus="ravdess_statement", modality="text", split="all",
                        group=f"ravdess_statement:{number}", label=0.0, emotion="neutral", text=sentence)
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
