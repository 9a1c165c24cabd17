"""ModelOutput row + window -> protocol.Reading (the unit the dashboard and recorder see)."""

from __future__ import annotations

import math
from typing import Iterable, Mapping

from streammsa import MODALITIES
from streammsa.asr.words import Word
from streammsa.engine.disagreement import disagreement
from streammsa.engine.overall_reading import MODEL_ONLY, OverallReading
from streammsa.engine.polarity_calibration import DEFAULT, PolarityCalibration
from streammsa.models.io import ModelOutput
from streammsa.protocol import ModalityReading, Reading

INTENSITY_RANGE = 3.0


def clamp_intensity(x: float) -> float:
    if math.isnan(x):
        return 0.0
    return max(-INTENSITY_RANGE, min(INTENSITY_RANGE, float(x)))


def words_in_window(words: Iterable[Word], t_start: float, t_end: float) -> str:
    """Committed words whose midpoint lies inside [t_start, t_end): each word belongs to one place in time."""
    picked = [w.w.strip() for w in words if t_start <= (w.start + w.end) / 2 < t_end]
    return " ".join(p for p in picked if p)


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
) -> Reading:
    """Row ``row`` of a (CPU) ModelOutput as a Reading; absent modalities read None, never 0.

    ``revision``/``final``/``update_latency_ms``: see ``protocol.Reading`` (a reading revised when words
    committed after its first emission joined its window, ``monitor/loop.py``). ``offsets``: subtracted from
    a modality's own reading (the voice is read against its speaker's baseline, ``engine/voice_baseline.py``).
    ``own``: a present modality's reading by its own unimodal reader (the words: ``models/text_reader.py``, the
    voice: ``models/voice_reader.py``), in place of the model's per-modality head (offsets apply to it likewise);
    ``polarity``: how the readings map to polarity probabilities for the conflict signal (the checkpoint's
    calibration, ``engine/polarity_calibration.py``). ``overall``: how the overall reading combines the model's
    reading with the modality readings as shown (``engine/overall_reading.py``; default: the model's alone).
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
    dis = disagreement(mods, polarity)  # do they disagree, and who: from the readings themselves
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
