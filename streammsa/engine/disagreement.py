"""Do the modalities disagree, and which one: the product's conflict signal.

Each present modality's reading r_m becomes the probability of each polarity of what it perceives,
P_m(-), P_m(0), P_m(+) (``engine/polarity_calibration.py``: calibrated per modality on held-out windows),
and its confidence c_m the probability that the reading is evidence at all: the modality speaks with
probability c_m (its polarity drawn from P_m) and is silent otherwise. Taking the modalities as
independent given their readings:

    D   = P(one modality that speaks reads + and another -)                        (window disagreement)
        = 1 - prod_m (1 - c_m P_m(+)) - prod_m (1 - c_m P_m(-)) + prod_m (1 - c_m P_m(+) - c_m P_m(-))
    d_m = c_m [P_m(-) A_m(+) + P_m(+) A_m(-)]        three present: m reads opposite the others, which agree
    A_m(s) = prod_{n != m} (1 - c_n + c_n P_n(s)) - prod_{n != m} (1 - c_n)     (the others that speak all read s)
    d_m = D                                          two present: the pair

D (``Reading.disagreement``) is what the conflict alert compares with its threshold; d_m
(``ModalityReading.disagreement``) names who disagrees: with three present the largest d_m (the odd one
out), with two the pair ("the words and the voice disagree"). Both are None with fewer than two modalities
present (a modality with c_m = 0 counts as absent: its d_m is None too). Little evidence can neither raise D
nor be named. Neutral words in an angry voice are not an opposition (0 against -): measured, counting
them as half a disagreement lowered every validation figure (docs/results.md). CACR's own C_m and w_m stay
in every reading as diagnostics (``conflict``, ``weight``): they measure distance in the model's shared
space, which does not say who disagrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from streammsa import MODALITIES
from streammsa.engine.polarity_calibration import DEFAULT, PolarityCalibration
from streammsa.protocol import ModalityReading

NEG, POS = 0, 2  # polarity_calibration.POLARITIES


@dataclass(frozen=True)
class Disagreement:
    window: float | None  # D
    by_modality: dict[str, float | None]  # d_m


def disagreement(
    modalities: Mapping[str, ModalityReading],
    calibration: PolarityCalibration = DEFAULT,
    sources: Mapping[str, Mapping[str, float]] | None = None,
) -> Disagreement:
    """D and d_m of one reading's modalities (None where absent, or when fewer than two are present). ``sources``:
    per modality, its reader's and the model's head's readings (``{"reader": u, "head": h}``), which the
    calibration reads where it was fitted on them."""
    # a modality without evidence (confidence 0, e.g. a voice not yet familiar) counts as absent: it is not compared
    heard = {
        m: r
        for m, r in modalities.items()
        if r.present and r.intensity is not None and (r.confidence is None or r.confidence > 0.0)
    }
    by_modality: dict[str, float | None] = {m: None for m in MODALITIES}
    if len(heard) < 2:
        return Disagreement(None, by_modality)
    sources = sources or {}
    p = np.stack([calibration.probabilities(m, float(r.intensity), sources.get(m)) for m, r in heard.items()])
    c = np.array([1.0 if r.confidence is None else min(1.0, max(0.0, float(r.confidence))) for r in heard.values()])
    pos, neg = c * p[:, POS], c * p[:, NEG]  # P(speaks and reads +), P(speaks and reads -)
    window = float(np.clip(1.0 - np.prod(1.0 - pos) - np.prod(1.0 - neg) + np.prod(1.0 - pos - neg), 0.0, 1.0))
    for i, m in enumerate(heard):
        if len(heard) == 2:
            by_modality[m] = window
            continue
        o = np.arange(len(heard)) != i
        silent = np.prod(1.0 - c[o])
        agree_pos, agree_neg = np.prod(1.0 - c[o] + pos[o]) - silent, np.prod(1.0 - c[o] + neg[o]) - silent
        by_modality[m] = float(neg[i] * agree_pos + pos[i] * agree_neg)
    return Disagreement(window, by_modality)


@dataclass(frozen=True)
class OddOneOut:
    """The modality (or pair) that disagrees most in one reading."""

    name: str  # "text", or "text+audio" when only two are present
    score: float  # its d_m
    intensity: float  # its reading (the first of a pair)
    others_intensity: float  # what the others say: their confidence-weighted mean (the second of a pair)


def odd_one_out(modalities: Mapping[str, ModalityReading]) -> OddOneOut | None:
    scored = [(m, modalities[m]) for m in MODALITIES if m in modalities and modalities[m].disagreement is not None]
    if len(scored) < 2:
        return None
    if len(scored) == 2:
        (a, ra), (b, rb) = scored
        return OddOneOut(f"{a}+{b}", float(ra.disagreement), float(ra.intensity), float(rb.intensity))  # type: ignore[arg-type]
    m, r = max(scored, key=lambda x: x[1].disagreement)  # type: ignore[arg-type, return-value]
    others = [x for n, x in scored if n != m]
    weights = [1.0 if x.confidence is None else x.confidence for x in others]
    r_o = sum(x.intensity * w for x, w in zip(others, weights)) / max(sum(weights), 1e-9)  # type: ignore[operator]
    return OddOneOut(m, float(r.disagreement), float(r.intensity), float(r_o))  # type: ignore[arg-type]
