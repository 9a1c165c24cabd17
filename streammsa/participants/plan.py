"""A meeting's script: who says which utterance when, and where each face sits on screen.

``plan_meeting`` strings turns of 2-6 s (one or more utterances of one person, the silence around
their speech trimmed) one after another with short gaps or, with ``overlap``, a next speaker who
starts before the previous one has finished. Everything is drawn from one seeded generator, so a
plan is reproducible from its spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from streammsa.errors import UsageError
from streammsa.participants.sources import Utterance

PAD_S = 0.15  # audio kept around an utterance's speech (breath, onsets)


@dataclass(frozen=True)
class MeetingSpec:
    name: str
    corpus: str  # "grid" (talking faces), "ravdess" or "emodb" (voices only)
    speakers: int  # people who talk (GRID: each has a face on screen)
    duration_s: float = 120.0
    turn_s: tuple[float, float] = (2.0, 6.0)
    gap_s: tuple[float, float] = (0.2, 1.0)
    overlap: float = 0.0  # probability that a turn starts before the previous one ends
    overlap_s: tuple[float, float] = (0.5, 1.5)
    silent_faces: int = 0  # GRID: extra people on screen who never speak
    offscreen_voices: int = 0  # GRID: extra voices (RAVDESS) heard but not seen
    seed: int = 0
    people: tuple[str, ...] = ()  # fixed choice of people (default: drawn with the seed)


@dataclass(frozen=True)
class Placement:
    person: str
    utterance: int  # index into that person's utterances
    at: float  # meeting time of clip time ``clip_from``
    clip_from: float
    clip_to: float

    @property
    def end(self) -> float:
        return self.at + self.clip_to - self.clip_from


@dataclass(frozen=True)
class MeetingPlan:
    spec: MeetingSpec
    people: tuple[str, ...]  # everyone: speakers, then silent faces, then off-screen voices
    on_screen: tuple[str, ...]  # who has a tile, in tile order
    placements: tuple[Placement, ...] = field(default_factory=tuple)
    duration: float = 0.0


def _turn(person: str, utts: list[Utterance], at: float, target: float, rng: np.random.Generator) -> list[Placement]:
    """Utterances of one person from ``at`` until the turn would pass ``target`` seconds (at least one)."""
    out: list[Placement] = []
    t = at
    while True:
        i = int(rng.integers(len(utts)))
        u = utts[i]
        a, b = max(0.0, u.speech[0] - PAD_S), min(u.duration, u.speech[1] + PAD_S)
        if out and (t - at) + (b - a) > target:
            break
        out.append(Placement(person, i, t, a, b))
        t += (b - a) + float(rng.uniform(0.1, 0.4))
        if t - at >= target:
            break
    return out


def plan_meeting(
    spec: MeetingSpec, pool: dict[str, list[Utterance]], extra_voices: dict[str, list[Utterance]]
) -> MeetingPlan:
    """The script of ``spec`` from utterances by person (``pool``: the speakers' and silent faces' corpus;
    ``extra_voices``: voices for off-screen people)."""
    rng = np.random.default_rng(spec.seed)
    need = spec.speakers + spec.silent_faces
    people = list(spec.people) or [str(p) for p in rng.permutation(sorted(pool))[:need]]
    if len(people) < need or any(p not in pool for p in people):
        raise UsageError(f"meeting {spec.name} needs {need} people from {spec.corpus}, found {len(pool)}")
    offscreen = [str(p) for p in rng.permutation(sorted(extra_voices))[: spec.offscreen_voices]]
    if len(offscreen) < spec.offscreen_voices:
        raise UsageError(f"meeting {spec.name} needs {spec.offscreen_voices} off-screen voices, found {len(offscreen)}")
    talkers = people[: spec.speakers] + offscreen
    voices = {**pool, **extra_voices}
    placements: list[Placement] = []
    t, last = float(rng.uniform(0.3, 1.0)), None
    while True:
        unheard = [p for p in talkers if p != last and not any(pl.person == p for pl in placements)]
        who = str(rng.choice(unheard or [p for p in talkers if p != last] or talkers))
        turn = _turn(who, voices[who], t, float(rng.uniform(*spec.turn_s)), rng)
        if turn[-1].end > spec.duration_s:
            break
        placements += turn
        last = who
        end = turn[-1].end
        if rng.random() < spec.overlap:
            t = max(turn[0].at + 0.5, end - float(rng.uniform(*spec.overlap_s)))
        else:
            t = end + float(rng.uniform(*spec.gap_s))
    on_screen = tuple(people) if spec.corpus == "grid" else ()
    return MeetingPlan(spec, tuple(people + offscreen), on_screen, tuple(placements), spec.duration_s)
