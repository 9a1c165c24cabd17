"""Label readers of the corpora: file-name codes and rating files -> the canonical emotions of labels.py.

RAVDESS and EmoDB encode emotion (and RAVDESS its level) in the file name; CREMA-D ships rater votes
per condition (voice alone, face alone, both); CH-SIMS v2 ships overall and per-modality labels.
Every category becomes an intensity through ``labels.intensity_for``, the project's one mapping.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from streammsa.datasets.labels import canonical_emotion, intensity_for
from streammsa.errors import InputError

CHSIMS_SCALE = 3.0
"""CH-SIMS v2 labels lie in [-1, 1]; multiply by this to put them on the [-3, 3] scale used here."""


# ----------------------------------------------------------------------------------------- RAVDESS

RAVDESS_EMOTIONS: dict[str, str] = {
    "01": "neutral",
    "02": "calm",
    "03": "happiness",
    "04": "sadness",
    "05": "anger",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}
RAVDESS_LEVELS: dict[str, str] = {"01": "normal", "02": "strong"}
RAVDESS_STATEMENTS: dict[int, str] = {
    1: "Kids are talking by the door",
    2: "Dogs are sitting by the door",
}
_RAVDESS_MODALITY = {"01": "audio-video", "02": "video-only", "03": "audio-only"}
_RAVDESS_CHANNEL = {"01": "speech", "02": "song"}


class RavdessInfo(TypedDict):
    modality: str
    vocal_channel: str
    emotion: str
    intensity_level: str
    statement: int
    text: str
    repetition: int
    actor: int
    sex: str


def _stem(name: str | Path) -> str:
    # Accept a bare stem, a file name or a path: corpora are referenced all three ways.
    return Path(name).name.split(".")[0]


def parse_ravdess(stem: str | Path) -> RavdessInfo:
    """Decode a RAVDESS name ``MM-VV-EE-II-SS-RR-AA`` (stem, file name or path)."""
    s = _stem(stem)
    parts = s.split("-")
    if len(parts) != 7 or not all(re.fullmatch(r"\d\d", p) for p in parts):
        raise InputError(f"{s!r} is not a RAVDESS name: expected seven 2-digit fields like 03-01-05-02-01-01-12")
    mod, chan, emo, lvl, stmt, rep, actor = parts
    if mod not in _RAVDESS_MODALITY or chan not in _RAVDESS_CHANNEL or emo not in RAVDESS_EMOTIONS:
        raise InputError(f"{s!r}: modality, vocal channel or emotion code out of range (see RAVDESS coding)")
    if lvl not in RAVDESS_LEVELS or stmt not in ("01", "02") or rep not in ("01", "02"):
        raise InputError(f"{s!r}: intensity, statement and repetition must be 01 or 02")
    actor_no = int(actor)
    if not 1 <= actor_no <= 24:
        raise InputError(f"{s!r}: actor must be 01-24")
    if emo == "01" and lvl == "02":
        # RAVDESS records neutral at normal intensity only; a strong neutral means a mangled name.
        raise InputError(f"{s!r}: RAVDESS has no strong-intensity neutral clips")
    return RavdessInfo(
        modality=_RAVDESS_MODALITY[mod],
        vocal_channel=_RAVDESS_CHANNEL[chan],
        emotion=RAVDESS_EMOTIONS[emo],
        intensity_level=RAVDESS_LEVELS[lvl],
        statement=int(stmt),
        text=RAVDESS_STATEMENTS[int(stmt)],
        repetition=int(rep),
        actor=actor_no,
        sex="male" if actor_no % 2 else "female",
    )


# ------------------------------------------------------------------------------------------- EmoDB

EMODB_EMOTIONS: dict[str, str] = {
    "W": "anger",  # Wut / Aerger
    "L": "boredom",  # Langeweile
    "E": "disgust",  # Ekel
    "A": "fear",  # Angst
    "F": "happiness",  # Freude
    "T": "sadness",  # Trauer
    "N": "neutral",
}
EMODB_SPEAKER_SEX: dict[int, str] = {
    3: "male",
    8: "female",
    9: "female",
    10: "male",
    11: "male",
    12: "male",
    13: "female",
    14: "female",
    15: "male",
    16: "female",
}
EMODB_TEXTS: dict[str, str] = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}


class EmodbInfo(TypedDict):
    speaker: int
    sex: str
    text_code: str
    text: str
    emotion: str
    version: str


def parse_emodb(stem: str | Path) -> EmodbInfo:
    """Decode an EmoDB name ``SSTTTEV`` (speaker, text, emotion letter, version), e.g. ``03a01Fa``."""
    s = _stem(stem)
    m = re.fullmatch(r"(\d\d)([ab]\d\d)([A-Z])([a-z])", s)
    if m is None:
        raise InputError(f"{s!r} is not an EmoDB name: expected SSTTTEV like 03a01Fa")
    speaker, text_code, letter, version = int(m[1]), m[2], m[3], m[4]
    if letter not in EMODB_EMOTIONS:
        raise InputError(f"{s!r}: emotion letter {letter!r} is not one of {''.join(EMODB_EMOTIONS)}")
    if speaker not in EMODB_SPEAKER_SEX or text_code not in EMODB_TEXTS:
        raise InputError(f"{s!r}: unknown EmoDB speaker {speaker:02d} or text {text_code}")
    return EmodbInfo(
        speaker=speaker,
        sex=EMODB_SPEAKER_SEX[speaker],
        text_code=text_code,
        text=EMODB_TEXTS[text_code],
        emotion=EMODB_EMOTIONS[letter],
        version=version,
    )


@dataclass(frozen=True)
class EmodbRecognition:
    recognised: float
    """Fraction of listeners who recognised the intended emotion."""
    natural: float
    """Fraction of listeners who judged the rendition natural."""


def read_emodb_recognition(path: str | Path) -> dict[str, EmodbRecognition]:
    """Read EmoDB's ``erkennung.txt`` (percentages with decimal commas) into fractions per stem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} not found: point at emodb/erkennung.txt")
    out: dict[str, EmodbRecognition] = {}
    # The file pads columns with non-breaking spaces; str.split() treats them as whitespace.
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4:
            continue
        try:
            rec = float(fields[2].replace(",", ".")) / 100.0
            nat = float(fields[3].replace(",", ".")) / 100.0
        except ValueError as exc:
            raise InputError(f"{path}: unreadable row {line!r}") from exc
        out[_stem(fields[1])] = EmodbRecognition(rec, nat)
    if not out:
        raise InputError(f"{path} holds no recognition rows")
    return out


# ------------------------------------------------------------------------------------------- faces


def faces_emotion(label: str) -> str:
    """Canonical emotion for a faces/labels.csv ``emotion`` value (e.g. ``happiness``, ``contempt``)."""
    return canonical_emotion(label)


# ----------------------------------------------------------------------------------------- CREMA-D

CREMAD_CODES: dict[str, str] = {
    "A": "anger",
    "D": "disgust",
    "F": "fear",
    "H": "happiness",
    "N": "neutral",
    "S": "sadness",
    "ANG": "anger",
    "DIS": "disgust",
    "FEA": "fear",
    "HAP": "happiness",
    "NEU": "neutral",
    "SAD": "sadness",
}
CREMAD_LEVELS: dict[str, str | None] = {"LO": "low", "MD": "medium", "HI": "high", "XX": None}
CREMAD_SENTENCES: dict[str, str] = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
CREMAD_VOTE_LETTERS: tuple[str, ...] = ("A", "D", "F", "H", "N", "S")


def cremad_code(letter: str) -> str:
    """Canonical emotion for a CREMA-D vote letter (A D F H N S) or file-name code (ANG, HAP, ...)."""
    key = letter.strip().upper()
    if key not in CREMAD_CODES:
        raise InputError(f"unknown CREMA-D emotion code {letter!r}: use A D F H N S or ANG DIS FEA HAP NEU SAD")
    return CREMAD_CODES[key]


class CremadInfo(TypedDict):
    actor: int
    sentence: str
    text: str
    emotion: str
    intensity_level: str | None


def parse_cremad(stem: str | Path) -> CremadInfo:
    """Decode a CREMA-D name ``AAAA_SSS_EEE_LL`` (e.g. ``1001_IEO_HAP_HI``); level XX -> None."""
    s = _stem(stem)
    parts = s.split("_")
    if len(parts) != 4 or not parts[0].isdigit():
        raise InputError(f"{s!r} is not a CREMA-D name: expected ACTOR_SENTENCE_EMOTION_LEVEL like 1001_IEO_HAP_HI")
    actor, sentence, emo, lvl = parts
    if sentence not in CREMAD_SENTENCES or lvl not in CREMAD_LEVELS or emo not in CREMAD_CODES or len(emo) != 3:
        raise InputError(f"{s!r}: unknown CREMA-D sentence, emotion or level code")
    return CremadInfo(
        actor=int(actor),
        sentence=sentence,
        text=CREMAD_SENTENCES[sentence],
        emotion=CREMAD_CODES[emo],
        intensity_level=CREMAD_LEVELS[lvl],
    )


def vote_valence(counts: Mapping[str, float], level: str | None = None) -> float:
    """Expected intensity in [-3, 3] under a distribution of perceived emotions (counts or fractions).

    Raters who see the same clip disagree; averaging the mapped intensity over their votes keeps that
    disagreement (a clip half "happy", half "neutral" lands at +1) instead of a majority-vote cliff.
    """
    total = float(sum(counts.values()))
    if total <= 0 or not math.isfinite(total):
        raise InputError("vote counts are empty: need at least one vote")
    return sum(n * intensity_for(_vote_emotion(k), level) for k, n in counts.items()) / total


def _vote_emotion(key: str) -> str:
    try:
        return cremad_code(key)
    except InputError:
        return canonical_emotion(key)


@dataclass(frozen=True)
class CremadVotes:
    """Perceived emotion of one CREMA-D clip in one condition (voice alone, face alone, or both)."""

    counts: dict[str, int]
    """Votes per letter A D F H N S."""
    mean_intensity: float = math.nan
    """Raters' mean 0-1 intensity rating of the emotion they chose (CREMA-D meanEmoResp / 100)."""

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def agreement(self) -> float:
        """Fraction of raters who chose the most common emotion."""
        return max(self.counts.values()) / self.n

    @property
    def valence(self) -> float:
        return vote_valence(self.counts)


@dataclass(frozen=True)
class CremadClip:
    name: str
    info: CremadInfo
    voice: CremadVotes
    face: CremadVotes
    multimodal: CremadVotes


# tabulatedVotes.csv numbers its rows 1xxxxx for voice-only, 2xxxxx face-only, 3xxxxx audio-visual
# ratings: each row's emoVote equals summaryTable's VoiceVote / FaceVote / MultiModalVote for all
# 22,326 rows (checked when this reader was written).
_CREMAD_CONDITION = {"1": "voice", "2": "face", "3": "multimodal"}


def read_cremad_votes(folder: str | Path) -> list[CremadClip]:
    """Read CREMA-D's ``tabulatedVotes.csv`` into per-clip vote counts for the three conditions."""
    path = Path(folder) / "tabulatedVotes.csv"
    if not path.is_file():
        raise InputError(f"{path} not found: point at the cremad/ data folder")
    by_clip: dict[str, dict[str, CremadVotes]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            condition = _CREMAD_CONDITION.get(row[""][:1])
            if condition is None:
                raise InputError(f"{path}: row id {row['']!r} does not start with 1, 2 or 3")
            counts = {k: int(row[k]) for k in CREMAD_VOTE_LETTERS}
            if sum(counts.values()) == 0:
                continue
            intensity = float(row["meanEmoResp"]) / 100.0 if row.get("meanEmoResp") else math.nan
            by_clip.setdefault(row["fileName"], {})[condition] = CremadVotes(counts, intensity)
    clips = [
        CremadClip(name, parse_cremad(name), c["voice"], c["face"], c["multimodal"])
        for name, c in sorted(by_clip.items())
        if len(c) == 3
    ]
    if not clips:
        raise InputError(f"{path} holds no clip with votes in all three conditions")
    return clips


# ---------------------------------------------------------------------------------------- CH-SIMS v2


@dataclass(frozen=True)
class ChsimsLabel:
    """One CH-SIMS v2 clip's human labels, already scaled to [-3, 3] (x CHSIMS_SCALE)."""

    clip: str
    mode: str
    label: float
    label_t: float
    label_a: float
    label_v: float


def read_chsims_v2(path: str | Path) -> list[ChsimsLabel]:
    """Read ``chsims_v2/labels.csv`` (overall and separately annotated T/A/V labels in [-1, 1])."""
    path = Path(path)
    if path.is_dir():
        path = path / "labels.csv"
    if not path.is_file():
        raise InputError(f"{path} not found: point at chsims_v2/labels.csv")
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                vals = [float(row[k]) * CHSIMS_SCALE for k in ("label", "label_T", "label_A", "label_V")]
            except (KeyError, ValueError) as exc:
                raise InputError(f"{path}: row {row!r} lacks numeric label/label_T/label_A/label_V") from exc
            out.append(ChsimsLabel(f"{row['video_id']}/{row['clip_id']}", row["mode"], *vals))
    return out
