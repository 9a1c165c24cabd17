"""Real utterances to build meetings from: GRID talking faces (video + voice), RAVDESS and EmoDB voices.

Each utterance's speech is where Silero VAD (bundled with faster-whisper, MIT) finds it on the clean
isolated clip: the reference speech of a constructed meeting is exactly these segments, placed where
the meeting puts the clip. Loudness is normalised per utterance so no voice dominates the mix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streammsa.capture.media_file import MediaFileSource, read_audio
from streammsa.capture.packets import SAMPLE_RATE, VideoFrame
from streammsa.errors import InputError

TARGET_RMS_DB = -23.0  # speech loudness of every utterance in a meeting
GRID_FPS = 25
# GRID file names carry the sentence, not the speaker. In this copy id2_vcd_swwp2s and pwij3p are one man
# (by eye, and their CAM++ voice prints agree at 0.84 where no other pair of clips exceeds 0.66).
GRID_SAME_PERSON = {"id2_vcd_swwp2s": "pwij3p"}
_GRID_WORDS = {
    0: {"b": "bin", "l": "lay", "p": "place", "s": "set"},
    1: {"b": "blue", "g": "green", "r": "red", "w": "white"},
    2: {"a": "at", "b": "by", "i": "in", "w": "with"},
    4: dict(
        zip("0123456789z", ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero"])
    ),
    5: {"a": "again", "n": "now", "p": "please", "s": "soon"},
}
RAVDESS_STATEMENTS = {"01": "kids are talking by the door", "02": "dogs are sitting by the door"}


@dataclass(frozen=True)
class Utterance:
    person: str  # corpus-qualified speaker id, e.g. "grid:bbaf2n", "ravdess:07", "emodb:03"
    path: Path
    audio: np.ndarray  # whole clip, float32 mono 16 kHz, loudness-normalised
    segments: tuple[tuple[float, float], ...]  # speech inside the clip (seconds from its start)
    text: str  # what is said (empty when the corpus does not say)
    language: str = "en"
    has_video: bool = False

    @property
    def speech(self) -> tuple[float, float]:
        return self.segments[0][0], self.segments[-1][1]

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def speech_segments(audio: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Speech of a clean clip: Silero VAD at 0.5, pauses under 0.3 s bridged (seconds)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(threshold=0.5, min_silence_duration_ms=300, speech_pad_ms=30)
    return tuple((t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in get_speech_timestamps(audio, opts))


def _normalise_loudness(audio: np.ndarray, segments: tuple[tuple[float, float], ...]) -> np.ndarray:
    speech = np.concatenate([audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in segments])
    rms_db = 10 * np.log10(float(np.mean(speech**2)) + 1e-12)
    return (audio * 10 ** ((TARGET_RMS_DB - rms_db) / 20)).astype(np.float32)


def load_utterance(path: Path, person: str, text: str = "", language: str = "en") -> Utterance | None:
    """One clip as an utterance (None when the VAD finds no speech in it)."""
    audio = read_audio(path)
    segments = speech_segments(audio)
    if not segments:
        return None
    has_video = path.suffix.lower() in (".mpg", ".mp4", ".avi", ".mov", ".mkv")
    return Utterance(person, path, _normalise_loudness(audio, segments), segments, text, language, has_video)


def grid_text(stem: str) -> str:
    code = stem.split("_")[-1]
    if len(code) != 6:
        return ""
    words = [_GRID_WORDS[i].get(c, "") if i in _GRID_WORDS else c for i, c in enumerate(code)]
    return " ".join(w for w in words if w)


def grid_utterances(root: Path) -> dict[str, list[Utterance]]:
    """GRID talking faces by person (``grid:<clip>``; clips of one man share his id)."""
    out: dict[str, list[Utterance]] = {}
    for path in sorted(Path(root).glob("*.mpg")):
        person = "grid:" + GRID_SAME_PERSON.get(path.stem, path.stem)
        u = load_utterance(path, person, grid_text(path.stem))
        if u is not None:
            out.setdefault(person, []).append(u)
    if not out:
        raise InputError(f"no GRID clips (*.mpg) with speech under {root}; see ../shared/data/README.md")
    return out


def ravdess_utterances(root: Path, actors: list[int], per_actor: int | None = None) -> dict[str, list[Utterance]]:
    """RAVDESS speech of normal intensity by actor (``ravdess:<AA>``); at most ``per_actor`` clips each."""
    out: dict[str, list[Utterance]] = {}
    for actor in actors:
        # Normal intensity only (the 7th field 01): strong-intensity acted emotion is shouting, not a meeting.
        clips = sorted(p for p in (Path(root) / f"Actor_{actor:02d}").glob("*.flac") if p.stem.split("-")[3] == "01")
        files = _spread(clips, per_actor)
        for path in files:
            statement = path.stem.split("-")[4]
            u = load_utterance(path, f"ravdess:{actor:02d}", RAVDESS_STATEMENTS.get(statement, ""))
            if u is not None:
                out.setdefault(u.person, []).append(u)
    if not out:
        raise InputError(f"no RAVDESS clips for actors {actors} under {root}; see ../shared/data/README.md")
    return out


def emodb_utterances(root: Path, speakers: list[str], per_speaker: int | None = None) -> dict[str, list[Utterance]]:
    """EmoDB speech by speaker (``emodb:<SS>``, German)."""
    out: dict[str, list[Utterance]] = {}
    for spk in speakers:
        for path in _spread(sorted(Path(root).glob(f"{spk}*.flac")), per_speaker):
            u = load_utterance(path, f"emodb:{spk}", language="de")
            if u is not None:
                out.setdefault(u.person, []).append(u)
    if not out:
        raise InputError(f"no EmoDB clips for speakers {speakers} under {root}; see ../shared/data/README.md")
    return out


def _spread(paths: list[Path], n: int | None) -> list[Path]:
    """At most ``n`` of ``paths``, evenly spaced (file-name order groups emotions: take some of each)."""
    if n is None or len(paths) <= n:
        return paths
    return [paths[int(i * len(paths) / n)] for i in range(n)]


def video_frames(path: Path) -> np.ndarray:
    """Every frame of a clip, (N, H, W, 3) RGB uint8 (GRID: 75 frames of 288x360)."""
    with MediaFileSource(path, audio=False) as src:
        frames = [p.image for p in src if isinstance(p, VideoFrame)]
    if not frames:
        raise InputError(f"{path} has no video frames")
    return np.stack(frames)


def person_label(person: str) -> str:
    """A short display name: ``grid:bbaf2n`` -> ``bbaf2n``."""
    return re.sub(r"^[a-z]+:", "", person)
