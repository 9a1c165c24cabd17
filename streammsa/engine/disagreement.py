"""Which modality disagrees: the product's conflict signal.

For each present modality m, how far its own reading r_m is from what the other present modalities
say together (their confidence-weighted mean r_o), on the intensity scale, scaled by how much
evidence both sides have:

    d_m = min(1, |r_m - r_o| / 6) * min(c_m, c_o)      c_o = mean confidence of the others

0 = agrees, 1 = opposite extremes with full evidence on both sides; None when m is absent or
alone. With three modalities present the one that disagrees stands out (the largest d_m); with
two, both get the same score and the pair is named ("the words and the voice disagree").
CACR's own C_m and w_m stay in every reading as diagnostics (``conflict``, ``weight``): they
measure distance in the model's shared space, which does not say who disagrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from streammsa import MODALITIES
from streammsa.protocol import ModalityReading

INTENSITY_SPAN = 6.0  # readings lie in [-3, 3]


def disagreements(modalities: Mapping[str, ModalityReading]) -> dict[str, float | None]:
    """d_m for each modality (None when absent or when no other modality is present)."""
    heard = {
        m: (float(r.intensity), 1.0 if r.confidence is None else float(r.confidence))
        for m, r in modalities.items()
        if r.present and r.intensity is not None
    }
    out: dict[str, float | None] = {m: None for m in MODALITIES}
    for m, (r_m, c_m) in heard.items():
        others = [v for n, v in heard.items() if n != m]
        total = sum(c for _, c in others)
        if not others or total <= 0.0:
            continue
        r_o = sum(r * c for r, c in others) / total
        c_o = total / len(others)
        out[m] = min(1.0, abs(r_m - r_o) / INTENSITY_SPAN) * min(c_m, c_o)
    return out


@dataclass(frozen=True)
class OddOneOut:
    """The modality (or pair) that disagrees most in one reading."""

    name: str  # "text", or "text+audio" when only two are present
    score: float
    intensity: float  # its reading (the first of a pair)
    others_intensity: float  # what the others say (the second of a pair)


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
