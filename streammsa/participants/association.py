"""Which voice belongs to which face: mouth movement that goes with a voice's speech, over time.

For every (speaker, face track) pair it keeps running sums over the moments the face was seen and
the speaker's activity was final, and scores the pair by the Pearson correlation between "this
speaker is talking" (0/1) and "this mouth is moving" (``MouthMotion``). Voices and faces are then
paired one-to-one to maximise the summed correlation (Hungarian). A pair needs ``min_correlation``
and ``min_evidence_s`` of the speaker's speech while the face was in view: a voice whose speaker is
off screen, and a face that never speaks, stay unpaired (absent, never guessed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AssociationConfig:
    min_correlation: float = 0.2
    min_evidence_s: float = 2.0  # speech of the voice while the face was seen
    mouth_window_s: float = 0.6


class _PairStats:
    __slots__ = ("n", "sx", "sy", "sxx", "syy", "sxy", "speech")

    def __init__(self) -> None:
        self.n = self.sx = self.sy = self.sxx = self.syy = self.sxy = self.speech = 0.0

    def add(self, x: float, y: float, dt: float) -> None:
        self.n += 1
        self.sx += x
        self.sy += y
        self.sxx += x * x
        self.syy += y * y
        self.sxy += x * y
        self.speech += y * dt

    def correlation(self) -> float:
        if self.n < 3:
            return 0.0
        vx = self.sxx - self.sx * self.sx / self.n
        vy = self.syy - self.sy * self.sy / self.n
        if vx <= 1e-12 or vy <= 1e-12:
            return 0.0
        return float((self.sxy - self.sx * self.sy / self.n) / np.sqrt(vx * vy))


class VoiceFaceAssociator:
    """``add(track, motion, speaking, dt)`` per mouth sample; ``pairs()`` -> {speaker: track}."""

    def __init__(self, config: AssociationConfig | None = None) -> None:
        self.config = config or AssociationConfig()
        self._stats: dict[tuple[int, int], _PairStats] = {}
        self.speakers: set[int] = set()
        self.tracks: set[int] = set()

    def add(self, track: int, motion: float, speaking: dict[int, float], dt: float) -> None:
        """One mouth sample of ``track``; ``speaking[s]`` is the share (0..1) of the sample's span that
        speaker s was talking (every speaker known so far, 0 included, must be given)."""
        self.tracks.add(track)
        self.speakers.update(speaking)
        for s in self.speakers:
            self._stats.setdefault((s, track), _PairStats()).add(motion, float(speaking.get(s, 0.0)), dt)

    def correlation(self, speaker: int, track: int) -> float:
        st = self._stats.get((speaker, track))
        return st.correlation() if st else 0.0

    def evidence(self, speaker: int, track: int) -> float:
        st = self._stats.get((speaker, track))
        return st.speech if st else 0.0

    def pairs(self) -> dict[int, int]:
        """Speaker -> face track, one-to-one, only pairs with enough evidence and correlation."""
        from scipy.optimize import linear_sum_assignment

        speakers, tracks = sorted(self.speakers), sorted(self.tracks)
        if not speakers or not tracks:
            return {}
        score = np.full((len(speakers), len(tracks)), -1.0)
        for i, s in enumerate(speakers):
            for j, f in enumerate(tracks):
                if self.evidence(s, f) >= self.config.min_evidence_s:
                    score[i, j] = self.correlation(s, f)
        rows, cols = linear_sum_assignment(-score)
        return {speakers[i]: tracks[j] for i, j in zip(rows, cols) if score[i, j] >= self.config.min_correlation}
