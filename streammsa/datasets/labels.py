"""One mapping from categorical emotion to sentiment intensity in [-3, 3] (corpus readers: corpus_labels.py).

RAVDESS, EmoDB, CREMA-D and the face photos carry acted or posed *categorical* emotions, while the
monitor reports *sentiment intensity* on the CMU-MOSI scale (-3 strongly negative ... +3 strongly
positive). Turning one into the other is a modelling choice; it is made here, once, and every
trainer, benchmark and document imports it from here (docs/labels.md has the table and the reasons).

The mapping is ``intensity = valence(emotion) * scale(level)``:

* ``valence`` is the emotion's prototype polarity in [-1, 1], placed by the valence axis of
  Russell's circumplex (1980) and the valence ratings of emotion words in affective norms
  (ANEW, Bradley & Lang 1999; Warriner, Kuperman & Brysbaert 2013), where "happy" sits at the
  pleasant end, the basic negative emotions at the unpleasant end, "calm"/"relaxed" in the pleasant
  low-arousal quadrant and "bored" in the unpleasant low-arousal quadrant.
* ``scale`` is the expressed intensity, anchored to MOSI's verbal anchors: a normal (default) acted
  emotion is a clear "positive"/"negative" (|2|), RAVDESS "strong" or CREMA-D "high" is "strongly"
  (|3|), CREMA-D "low" is "weakly" (|1|). An unmarked level (EmoDB, faces, CREMA-D "XX") is normal.
"""

from __future__ import annotations

from dataclasses import dataclass

from streammsa.errors import InputError

INTENSITY_MIN = -3.0
INTENSITY_MAX = 3.0


@dataclass(frozen=True)
class EmotionValence:
    """Where one emotion category sits on the sentiment axis."""

    valence: float
    """Prototype polarity in [-1, 1] (multiplied by the level scale to give intensity)."""
    polarity_confidence: float
    """How sure the sign is, in (0, 1]: 1 when raters agree on the polarity of the category itself."""


# The canonical vocabulary, and the one mapping. Reasons, one per row:
VALENCE: dict[str, EmotionValence] = {
    # Reference point: no affect expressed.
    "neutral": EmotionValence(0.0, 1.0),
    # Decision: mildly positive, not neutral. The circumplex places calm/relaxed/serene in the
    # pleasant, low-arousal quadrant and word norms rate "calm" clearly above the midpoint; RAVDESS
    # acts it as a contented state distinct from its separate "neutral" class. Mild (0.3) because it
    # is a low-arousal state with little sentiment load: normal -> +0.6, strong -> +0.9 (< weakly positive).
    "calm": EmotionValence(0.3, 0.75),
    # The only unambiguously pleasant basic emotion: the positive pole.
    "happiness": EmotionValence(1.0, 1.0),
    # Decision: 0 with half confidence. Surprise is high-arousal but its valence depends on the cause
    # (pleasant and unpleasant surprises are both common), so the category carries no reliable polarity.
    # A neutral target with a low confidence weight says "no polarity evidence" without inventing one.
    "surprise": EmotionValence(0.0, 0.5),
    # The basic negative emotions sit together at the unpleasant pole; the affective norms do not
    # separate them reliably enough to justify different magnitudes, so they share -1.
    "sadness": EmotionValence(-1.0, 1.0),
    "anger": EmotionValence(-1.0, 1.0),
    "fear": EmotionValence(-1.0, 1.0),
    "disgust": EmotionValence(-1.0, 1.0),
    # Contempt is unpleasant but a cooler, social-evaluative emotion than anger/disgust: -0.7.
    "contempt": EmotionValence(-0.7, 1.0),
    # Boredom: unpleasant, low-arousal quadrant of the circumplex; mildly negative (-0.4).
    "boredom": EmotionValence(-0.4, 0.75),
}

EMOTIONS: tuple[str, ...] = tuple(VALENCE)
"""Canonical emotion vocabulary (names used everywhere in the project)."""

# Expressed-intensity levels -> |intensity| of a valence-1 emotion, anchored to MOSI's verbal scale.
LEVEL_SCALE: dict[str, float] = {
    "low": 1.0,  # CREMA-D LO: "weakly positive/negative"
    "medium": 2.0,  # CREMA-D MD
    "normal": 2.0,  # RAVDESS 01, and the default for unmarked corpora: "positive/negative"
    "high": 3.0,  # CREMA-D HI: "strongly"
    "strong": 3.0,  # RAVDESS 02: "strongly"
}
INTENSITY_LEVELS: tuple[str, ...] = tuple(LEVEL_SCALE)

_ALIASES: dict[str, str] = {
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "angry": "anger",
    "fearful": "fear",
    "anxiety": "fear",
    "surprised": "surprise",
    "disgusted": "disgust",
    "bored": "boredom",
    "contemptuous": "contempt",
}


def canonical_emotion(name: str) -> str:
    """Map a corpus' emotion word (any case, e.g. ``"Happy"``, ``"fearful"``) to the canonical vocabulary."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in VALENCE:
        raise InputError(f"unknown emotion {name!r}: use one of {', '.join(EMOTIONS)}")
    return key


def intensity_for(emotion: str, level: str | None = None) -> float:
    """Sentiment intensity in [-3, 3] for an emotion at an expressed level (None = normal)."""
    value = VALENCE[canonical_emotion(emotion)].valence
    lvl = "normal" if level is None else level.strip().lower()
    if lvl not in LEVEL_SCALE:
        raise InputError(f"unknown intensity level {level!r}: use one of {', '.join(INTENSITY_LEVELS)} or None")
    # round away float noise (0.3 * 3 -> 0.9, not 0.8999999999999999) so tables and JSON read cleanly
    return round(min(INTENSITY_MAX, max(INTENSITY_MIN, value * LEVEL_SCALE[lvl])), 9)


def polarity_confidence(emotion: str) -> float:
    """How sure the category's sign is (surprise 0.5, calm/boredom 0.75, others 1)."""
    return VALENCE[canonical_emotion(emotion)].polarity_confidence


def sample_confidence(emotion: str, recognition: float | None = None) -> float:
    """Optional per-sample loss weight in (0, 1]: category polarity confidence x rater recognition rate.

    ``recognition`` is the fraction of listeners who perceived the intended emotion (EmoDB's
    erkennung.txt, CREMA-D's vote agreement); None where the corpus ships none (RAVDESS, faces).
    """
    weight = polarity_confidence(emotion)
    if recognition is not None:
        if not 0.0 <= recognition <= 1.0:
            raise InputError(f"recognition rate {recognition} is not a fraction in [0, 1]")
        weight *= recognition
    return weight
