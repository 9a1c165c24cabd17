"""The emotion -> sentiment-intensity mapping: bounds, signs, levels, and clear errors."""

from __future__ import annotations

import pytest

from streammsa.datasets import labels
from streammsa.datasets.corpus_labels import (
    cremad_code,
    faces_emotion,
    parse_cremad,
    parse_emodb,
    parse_ravdess,
    vote_valence,
)
from streammsa.datasets.labels import (
    EMOTIONS,
    INTENSITY_LEVELS,
    canonical_emotion,
    intensity_for,
    sample_confidence,
)
from streammsa.errors import InputError


def test_every_emotion_and_level_stays_within_minus3_plus3():
    for emotion in EMOTIONS:
        for level in (None, *INTENSITY_LEVELS):
            assert -3.0 <= intensity_for(emotion, level) <= 3.0


def test_happy_is_positive_neutral_zero_sad_negative():
    assert intensity_for("happiness") > 0 == intensity_for("neutral") > intensity_for("sadness")
    for negative in ("sadness", "anger", "fear", "disgust", "contempt", "boredom"):
        assert intensity_for(negative) < 0
    # calm is mildly positive: above neutral, below any clear positive
    assert 0 < intensity_for("calm") < intensity_for("happiness", "low")


def test_strong_is_more_extreme_than_normal_and_normal_than_low():
    for emotion in EMOTIONS:
        low, normal, strong = (abs(intensity_for(emotion, lv)) for lv in ("low", "normal", "strong"))
        if labels.VALENCE[emotion].valence == 0:
            assert low == normal == strong == 0
        else:
            assert low < normal < strong


def test_unspecified_level_means_normal():
    assert intensity_for("anger") == intensity_for("anger", "normal") == -2.0
    assert intensity_for("happy", "strong") == 3.0


def test_aliases_reach_the_canonical_vocabulary():
    assert canonical_emotion("Happy") == "happiness"
    assert canonical_emotion("fearful") == "fear"
    assert canonical_emotion("surprised") == "surprise"
    assert faces_emotion("contempt") == "contempt"
    assert cremad_code("h") == "happiness" and cremad_code("SAD") == "sadness"


def test_unknown_emotion_or_level_is_a_clear_input_error():
    with pytest.raises(InputError, match="unknown emotion"):
        intensity_for("joyous-ish")
    with pytest.raises(InputError, match="unknown intensity level"):
        intensity_for("anger", "extreme")
    with pytest.raises(InputError, match="CREMA-D"):
        cremad_code("X")


def test_ravdess_name_decodes_every_field():
    info = parse_ravdess("/x/Actor_12/03-01-05-02-02-01-12.flac")
    assert info == {
        "modality": "audio-only",
        "vocal_channel": "speech",
        "emotion": "anger",
        "intensity_level": "strong",
        "statement": 2,
        "text": "Dogs are sitting by the door",
        "repetition": 1,
        "actor": 12,
        "sex": "female",
    }
    assert parse_ravdess("01-01-02-01-01-02-07")["sex"] == "male"
    assert parse_ravdess("01-01-02-01-01-02-07")["text"] == "Kids are talking by the door"


@pytest.mark.parametrize(
    "bad", ["03-01-05-02-01-01", "03-01-09-01-01-01-01", "03-01-01-02-01-01-01", "03-01-05-01-01-01-25", "hello"]
)
def test_malformed_ravdess_names_are_rejected(bad):
    with pytest.raises(InputError):
        parse_ravdess(bad)


def test_emodb_name_decodes_speaker_text_emotion():
    info = parse_emodb("16b10Wb.wav")
    assert info["speaker"] == 16 and info["sex"] == "female"
    assert info["text_code"] == "b10" and info["emotion"] == "anger" and info["version"] == "b"
    assert parse_emodb("03a01Lb")["emotion"] == "boredom"
    with pytest.raises(InputError):
        parse_emodb("03a01Xa")


def test_cremad_name_decodes_level():
    assert parse_cremad("1001_IEO_HAP_HI")["intensity_level"] == "high"
    assert parse_cremad("1091_WSI_NEU_XX")["intensity_level"] is None
    assert parse_cremad("1002_TIE_ANG_XX")["text"] == "That is exactly what happened"
    with pytest.raises(InputError):
        parse_cremad("1001_IEO_HAP")


def test_vote_valence_averages_mapped_intensity_over_raters():
    assert vote_valence({"H": 1, "N": 1}) == pytest.approx(1.0)
    assert vote_valence({"A": 3}) == pytest.approx(-2.0)
    with pytest.raises(InputError):
        vote_valence({"A": 0})


def test_confidence_weights_ambiguous_categories_and_recognition():
    assert sample_confidence("surprise") < sample_confidence("happiness") == 1.0
    assert sample_confidence("anger", 0.8) == pytest.approx(0.8)
    with pytest.raises(InputError):
        sample_confidence("anger", 80.0)
