"""ModelOutput row + window -> protocol.Reading (the unit the dashboard and recorder see)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from streammsa import INTENSITY_RANGE, MODALITIES
from streammsa.asr.words import Word
from streammsa.engine.disagreement import disagreement
from streammsa.engine.overall_reading import MODEL_ONLY, OverallReading
from streammsa.engine.polarity_calibration import DEFAULT, PolarityCalibration
from streammsa.models.io import ModelOutput
from streammsa.protocol import ModalityReading, Reading

SENTENCE_REACH_S = 8.0  # how far before a window the start of its first sentence is looked for
SENTENCE_PAUSE_S = 1.0  # a pause this long between two words ends a sentence (speech may come unpunctuated)
SENTENCE_ENDS = (".", "?", "!")


def clamp_intensity(x: float) -> float:
    if math.isnan(x):
        return 0.0
    return max(-INTENSITY_RANGE, min(INTENSITY_RANGE, float(x)))


def words_in_window(words: Iterable[Word], t_start: float, t_end: float) -> str:
    """Committed words whose midpoint lies inside [t_start, t_end): each word belongs to one place in time."""
    picked = [w.w.strip() for w in words if t_start <= (w.start + w.end) / 2 < t_end]
    return " ".join(p for p in picked if p)


@dataclass(frozen=True)
class SentencePiece:
    """Part of a window's words that belongs to one sentence, as the text reader reads it: ``text`` (with the
    start of its sentence before the window, for the first piece) and how many of its words are in the window."""

    text: str
    words_inside: int


def _ends_sentence(before: Word, after: Word) -> bool:
    return before.w.strip().endswith(SENTENCE_ENDS) or after.start - before.end >= SENTENCE_PAUSE_S


def sentence_pieces(
    words: Sequence[Word], t_start: float, t_end: float, reach_s: float = SENTENCE_REACH_S
) -> list[SentencePiece]:
    """What the text reader reads for a window: its words (``words_in_window``) cut at sentence ends, the first
    piece preceded by the start of its sentence. A 4-s window often holds only the end of a sentence whose
    sentiment came earlier ("I am worried we will | miss the deadline again"), and those words alone read near
    neutral; the window's reading is the pieces' readings weighted by their words inside the window (so the last
    word of an earlier sentence does not bring that whole sentence in at full weight). Never a word after the
    window (live, it is not spoken yet); at most ``reach_s`` before it; a sentence ends at a word ending in . ? !
    or at a pause of ``SENTENCE_PAUSE_S``. Empty when the window has no word."""
    mids = [(w.start + w.end) / 2 for w in words]
    inside = [i for i, m in enumerate(mids) if t_start <= m < t_end]
    if not inside:
        return []
    first = inside[0]
    while first > 0 and mids[first - 1] >= t_start - reach_s and not _ends_sentence(words[first - 1], words[first]):
        first -= 1
    pieces, begin, n = [], first, 0
    for i in range(first, inside[-1] + 1):
        n += i >= inside[0]
        if i == inside[-1] or _ends_sentence(words[i], words[i + 1]):
            text = " ".join(p for p in (w.w.strip() for w in words[begin : i + 1]) if p)
            if text and n:
                pieces.append(SentencePiece(text, n))
            begin, n = i + 1, 0
    return pieces


def pieces_reading(pieces: Sequence[SentencePiece], reading_of: Mapping[str, float]) -> float:
    """A window's text reading: its sentence pieces' readings (``reading_of[piece.text]``) weighted by their words
    inside the window."""
    total = sum(p.words_inside for p in pieces)
    return sum(reading_of[p.text] * p.words_inside for p in pieces) / total


def build_reading(
    output: ModelOutput,
    row: int,
    *,
    stream: str,
    seq: int,
    t_start: float,
    t_end: float,
    transcript: str,
    latency_ms: float,
    model: str,
    trained: bool,
    alerts: list[str] | None = None,
    confidence: Mapping[str, float | None] | None = None,
    revision: int = 0,
    final: bool = True,
    update_latency_ms: float | None = None,
    offsets: Mapping[str, float] | None = None,
    own: Mapping[str, float] | None = None,
    polarity: PolarityCalibration = DEFAULT,
    overall: OverallReading = MODEL_ONLY,
    sources: Mapping[str, Mapping[str, float]] | None = None,
) -> Reading:
    """Row ``row`` of a (CPU) ModelOutput as a Reading; absent modalities read None, never 0.

    ``revision``/``final``/``update_latency_ms``: see ``protocol.Reading`` (a reading revised when words
    committed after its first emission joined its window, ``monitor/loop.py``). ``offsets``: subtracted from
    a modality's own reading (the voice is read against its speaker's baseline, ``engine/voice_baseline.py``).
    ``own``: a present modality's reading by its own unimodal reader (the words: ``models/text_reader.py``, the
    voice: ``models/voice_reader.py``; the face: ``models/face_reader.py`` with ``--face-reader``), in place of the
    model's per-modality head (offsets apply to it likewise);
    ``polarity``: how the readings map to polarity probabilities for the conflict signal (the checkpoint's
    calibration, ``engine/polarity_calibration.py``); ``sources``: per modality, its reader's and the model's head's
    readings (``{"reader": u, "head": h}``, whichever of them is shown), compared as the reading shown is (the
    voice's against its speaker's baseline), which the polarity calibration reads. ``overall``: how the overall
    reading combines the model's reading with the modality readings as shown (``engine/overall_reading.py``;
    default: the model's alone).
    """
    present = output.present[row].tolist()
    mods: dict[str, ModalityReading] = {}
    for i, m in enumerate(MODALITIES):
        if present[i]:
            value = own[m] if own is not None and m in own else float(output.modality_intensity[row, i])
            mods[m] = ModalityReading(
                present=True,
                intensity=clamp_intensity(value - (offsets or {}).get(m, 0.0)),
                conflict=float(output.conflict[row, i]),
                weight=float(output.weight[row, i]),
                confidence=(confidence or {}).get(m),
            )
        else:
            mods[m] = ModalityReading(present=False, intensity=None, conflict=None, weight=None)
    dis = disagreement(mods, polarity, sources)  # do they disagree, and who: from the readings themselves
    for m, d in dis.by_modality.items():
        mods[m].disagreement = d
    model_reading = clamp_intensity(float(output.intensity[row]))
    shown = {m: (r.intensity, r.confidence) for m, r in mods.items() if r.present and r.intensity is not None}
    return Reading(
        stream=stream,
        seq=seq,
        t_start=float(t_start),
        t_end=float(t_end),
        intensity=clamp_intensity(overall.combine(model_reading, shown)),
        modalities=mods,
        transcript=transcript,
        alerts=list(alerts or []),
        latency_ms=float(latency_ms),
        model=model,
        trained=trained,
        revision=revision,
        final=final,
        update_latency_ms=None if update_latency_ms is None else float(update_latency_ms),
        disagreement=dis.window,
        model_intensity=model_reading,
    )
