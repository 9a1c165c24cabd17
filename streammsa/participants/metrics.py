"""Scores of a meeting against its truth: DER, speaker-face association, words to the right person.

Everything is scored on a 10-ms grid. Speakers of the system ("hypothesis") are mapped one-to-one
to reference people by the assignment that maximises their overlapping speech time (as md-eval
does); that mapping is shared by all three scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from streammsa.participants.truth import Segment

RES = 0.01  # seconds per scoring frame


def _grid(segments: Sequence[Segment], labels: list[str], n: int) -> np.ndarray:
    g = np.zeros((n, len(labels)), dtype=bool)
    index = {p: i for i, p in enumerate(labels)}
    for s in segments:
        a, b = max(0, int(round(s.start / RES))), min(n, int(round(s.end / RES)))
        if b > a:
            g[a:b, index[s.person]] = True
    return g


def _collar_mask(reference: Sequence[Segment], n: int, collar: float) -> np.ndarray:
    """Frames that count: all but those within ``collar`` seconds of a reference boundary."""
    keep = np.ones(n, dtype=bool)
    c = int(round(collar / RES))
    if c:
        for s in reference:
            for edge in (s.start, s.end):
                e = int(round(edge / RES))
                keep[max(0, e - c) : min(n, e + c)] = False
    return keep


def optimal_mapping(reference: Sequence[Segment], hypothesis: Sequence[Segment], duration: float) -> dict[str, str]:
    """Hypothesis speaker -> reference person, one-to-one, maximising overlapping speech time."""
    from scipy.optimize import linear_sum_assignment

    refs, hyps = sorted({s.person for s in reference}), sorted({s.person for s in hypothesis})
    if not refs or not hyps:
        return {}
    n = int(np.ceil(duration / RES)) + 1
    r, h = _grid(reference, refs, n).astype(np.float32), _grid(hypothesis, hyps, n).astype(np.float32)
    overlap = h.T @ r
    rows, cols = linear_sum_assignment(-overlap)
    return {hyps[i]: refs[j] for i, j in zip(rows, cols) if overlap[i, j] > 0}


@dataclass(frozen=True)
class DER:
    der: float
    missed: float
    false_alarm: float
    confusion: float
    scored_speech_s: float
    collar: float


def diarization_error_rate(
    reference: Sequence[Segment], hypothesis: Sequence[Segment], duration: float, collar: float = 0.25
) -> DER:
    """(missed + false alarm + confusion) / scored reference speech; overlapped speech is scored;
    ``collar`` seconds either side of every reference boundary are not scored (0.25 is NIST's usual)."""
    n = int(np.ceil(duration / RES)) + 1
    refs, hyps = sorted({s.person for s in reference}), sorted({s.person for s in hypothesis})
    r, h = _grid(reference, refs, n), _grid(hypothesis, hyps, n)
    keep = _collar_mask(reference, n, collar)
    mapping = optimal_mapping(reference, hypothesis, duration)
    n_ref, n_hyp = r.sum(1), h.sum(1)
    correct = np.zeros(n)
    for hyp, ref in mapping.items():
        correct += r[:, refs.index(ref)] & h[:, hyps.index(hyp)]
    missed = (np.maximum(n_ref - n_hyp, 0) * keep).sum() * RES
    fa = (np.maximum(n_hyp - n_ref, 0) * keep).sum() * RES
    conf = ((np.minimum(n_ref, n_hyp) - correct) * keep).sum() * RES
    total = (n_ref * keep).sum() * RES
    der = (missed + fa + conf) / total if total > 0 else float("nan")
    return DER(float(der), float(missed), float(fa), float(conf), float(total), collar)


@dataclass(frozen=True)
class Association:
    accuracy: float  # share of reference speech time whose person's voice got the right face (or none, off screen)
    speaking_face: float  # share of on-screen reference speech time during which that person's face is shown speaking
    silent_faces_given_a_voice: int
    silent_faces: int


def association_accuracy(
    reference: Sequence[Segment],
    hypothesis: Sequence[Segment],
    duration: float,
    voice_face: Mapping[str, str | None],
    on_screen: Sequence[str],
) -> Association:
    """``voice_face``: hypothesis speaker -> the reference person whose face the system gave it (None: no face).

    ``accuracy``: per reference person, the hypothesis speaker mapped to them (``optimal_mapping``) must carry
    their face when they are on screen and no face when they are not; weighted by their speech time.
    ``speaking_face``: frame by frame, a person on screen who speaks must be among the faces of the active
    hypothesis speakers (diarization and association together, as a viewer of the dashboard would see it)."""
    mapping = optimal_mapping(reference, hypothesis, duration)
    to_hyp = {ref: hyp for hyp, ref in mapping.items()}
    speech: dict[str, float] = {}
    for s in reference:
        speech[s.person] = speech.get(s.person, 0.0) + s.end - s.start
    good = 0.0
    for person, secs in speech.items():
        hyp = to_hyp.get(person)
        want = person if person in on_screen else None
        if hyp is not None and voice_face.get(hyp) == want:
            good += secs
    total = sum(speech.values())

    n = int(np.ceil(duration / RES)) + 1
    refs, hyps = sorted(speech), sorted({s.person for s in hypothesis})
    r, h = _grid(reference, refs, n), _grid(hypothesis, hyps, n)
    shown = np.zeros((n, len(refs)), dtype=bool)  # person's face shown speaking
    for j, hyp in enumerate(hyps):
        face = voice_face.get(hyp)
        if face in refs:
            shown[:, refs.index(face)] |= h[:, j]
    visible = np.array([p in on_screen for p in refs], dtype=bool)
    want = r & visible[None, :]
    speaking_face = float((want & shown).sum() / max(want.sum(), 1))

    silent = [p for p in on_screen if p not in speech]
    given = sum(1 for p in silent if p in voice_face.values())
    return Association(good / total if total else float("nan"), speaking_face, given, len(silent))


@dataclass(frozen=True)
class WordAttribution:
    accuracy: float  # right person / words spoken inside reference speech
    words: int
    outside_speech: int  # words that overlap no reference speech (not scored)


def word_attribution(
    words: Sequence[tuple[float, float]],
    reference: Sequence[Segment],
    hypothesis: Sequence[Segment],
    duration: float,
) -> WordAttribution:
    """Each word (start, end) belongs to the reference person who speaks most during it, and the system
    attributes it to the hypothesis speaker who speaks most during it; right when that speaker maps
    (``optimal_mapping``) to that person. A word no hypothesis speaker covers is wrong."""
    mapping = optimal_mapping(reference, hypothesis, duration)

    def most(segs: Sequence[Segment], a: float, b: float) -> str | None:
        best, who = 0.0, None
        for s in segs:
            o = min(s.end, b) - max(s.start, a)
            if o > best:
                best, who = o, s.person
        return who

    good = scored = outside = 0
    for a, b in words:
        b = max(b, a + RES)
        ref = most(reference, a, b)
        if ref is None:
            outside += 1
            continue
        scored += 1
        hyp = most(hypothesis, a, b)
        good += hyp is not None and mapping.get(hyp) == ref
    return WordAttribution(good / scored if scored else float("nan"), scored, outside)
