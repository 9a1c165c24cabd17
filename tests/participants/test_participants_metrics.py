"""DER, speaker-face association and word attribution on hand-made references (numbers worked out by hand)."""

from __future__ import annotations

import math

import pytest

from streammsa.participants.metrics import (
    association_accuracy,
    diarization_error_rate,
    optimal_mapping,
    word_attribution,
)
from streammsa.participants.truth import Segment

REF = [Segment("ann", 0.0, 4.0), Segment("bob", 5.0, 9.0)]


def test_perfect_hypothesis_under_other_names_scores_zero():
    hyp = [Segment("1", 0.0, 4.0), Segment("0", 5.0, 9.0)]
    assert optimal_mapping(REF, hyp, 10.0) == {"1": "ann", "0": "bob"}
    assert diarization_error_rate(REF, hyp, 10.0, collar=0.0).der == 0.0


def test_each_error_kind_is_counted_against_reference_speech():
    hyp = [Segment("a", 0.0, 3.0), Segment("b", 5.0, 7.0), Segment("a", 7.0, 9.0), Segment("b", 9.0, 10.0)]
    der = diarization_error_rate(REF, hyp, 10.0, collar=0.0)
    # missed 3-4 (1 s); confusion 7-9 ("a" is ann, bob speaks: 2 s); false alarm 9-10 (1 s); 8 s of speech
    assert der.missed == pytest.approx(1.0, abs=0.02)
    assert der.confusion == pytest.approx(2.0, abs=0.02)
    assert der.false_alarm == pytest.approx(1.0, abs=0.02)
    assert der.der == pytest.approx(4.0 / 8.0, abs=0.01)


def test_the_collar_forgives_boundaries_only():
    late = [Segment("a", 0.2, 4.0), Segment("b", 5.0, 9.2)]  # boundaries off by 0.2 s
    assert diarization_error_rate(REF, late, 10.0, collar=0.25).der == 0.0
    assert diarization_error_rate(REF, late, 10.0, collar=0.0).der > 0.0
    wrong_middle = [Segment("a", 0.0, 4.0), Segment("a", 5.0, 9.0)]
    assert diarization_error_rate(REF, wrong_middle, 10.0, collar=0.25).der > 0.3


def test_overlapped_speech_needs_both_voices():
    ref = [Segment("ann", 0.0, 4.0), Segment("bob", 3.0, 6.0)]
    one = [Segment("x", 0.0, 4.0), Segment("y", 4.0, 6.0)]
    assert diarization_error_rate(ref, one, 6.0, collar=0.0).missed == pytest.approx(1.0, abs=0.02)


def test_association_counts_speech_time_and_absence():
    ref = [Segment("ann", 0.0, 6.0), Segment("bob", 6.0, 8.0), Segment("cat", 8.0, 10.0)]  # cat is off screen
    hyp = [Segment("0", 0.0, 6.0), Segment("1", 6.0, 8.0), Segment("2", 8.0, 10.0)]
    on_screen = ["ann", "bob", "dan"]  # dan never speaks
    right = association_accuracy(ref, hyp, 10.0, {"0": "ann", "1": "bob", "2": None}, on_screen)
    assert right.accuracy == pytest.approx(1.0) and right.speaking_face == pytest.approx(1.0, abs=0.01)
    assert (right.silent_faces_given_a_voice, right.silent_faces) == (0, 1)
    swapped = association_accuracy(ref, hyp, 10.0, {"0": "bob", "1": "ann", "2": "dan"}, on_screen)
    assert swapped.accuracy == 0.0 and swapped.speaking_face == 0.0
    assert swapped.silent_faces_given_a_voice == 1
    half = association_accuracy(ref, hyp, 10.0, {"0": "ann", "1": None, "2": "dan"}, on_screen)
    assert half.accuracy == pytest.approx(0.6)  # ann's 6 s of 10 s


def test_words_go_to_whoever_speaks_most_during_them():
    hyp = [Segment("0", 0.0, 4.4), Segment("1", 4.4, 9.0)]
    words = [(0.5, 0.9), (3.8, 4.2), (5.1, 5.5), (8.8, 9.3), (9.5, 9.8)]  # the last one is in silence
    got = word_attribution(words, REF, hyp, 10.0)
    assert (got.words, got.outside_speech) == (4, 1)
    assert got.accuracy == pytest.approx(1.0)
    late = [Segment("0", 0.0, 5.6), Segment("1", 5.6, 9.0)]  # ann's voice still "speaks" over bob's first word
    assert word_attribution(words, REF, late, 10.0).accuracy == pytest.approx(0.75)
    assert math.isnan(word_attribution([(9.5, 9.8)], REF, hyp, 10.0).accuracy)
