"""Labelled unimodal items of the corpora, each assigned to a split by its identity.

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

docs/composed-dataset.md has the tables of held-out identities.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from streammsa import MODALITIES
from streammsa.datasets import corpus_labels as C
from streammsa.datasets import labels as L
from streammsa.errors import InputError

SPLITS = ("train", "valid", "test")
CORPORA = ("mosi", "mosei", "ravdess", "emodb", "faces", "grid")
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
        info = C.parse_ravdess(p)
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
    recognition = C.read_emodb_recognition(rec_path) if rec_path.exists() else {}
    items = []
    for p in sorted(folder.glob("*.flac")):
        info = C.parse_emodb(p)
        rec = recognition.get(p.stem)
        # German words: usable as voice only, never as English text.
        items.append(PoolItem(
            key=f"emodb/{p.stem}", corpus="emodb", modality="audio", split=EMODB_SPLIT[info["speaker"]],
            group=f"emodb:speaker{info['speaker']:02d}", label=L.intensity_for(info["emotion"]),
            emotion=info["emotion"],
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
            emotion = C.faces_emotion(row["emotion"])
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
            raise InputError(
                f"{p.name}: unknown GRID clip; add its speaker to GRID_SPEAKER (datasets/items.py) after looking at it"
            )
        for m in MODALITIES:
            items.append(PoolItem(
                key=f"grid/{p.stem}", corpus="grid", modality=m, split=GRID_SPLIT[speaker], group=f"grid:{speaker}",
                label=0.0, emotion="neutral", path=str(p), text=grid_sentence(p.stem),
            ))  # fmt: skip
    return items


def list_items(
    root: str | Path, corpora: Iterable[str] = CORPORA, modalities: Iterable[str] = MODALITIES, limit: int | None = None
) -> list[PoolItem]:
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
