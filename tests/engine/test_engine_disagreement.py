"""The product's conflict signal: a probability that the modalities disagree, which names the one that does,
weighs evidence and reliability, and is absent without company."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa.engine.disagreement import disagreement, odd_one_out
from streammsa.engine.polarity_calibration import DEFAULT, ModalityPolarity, PolarityCalibration, fit
from streammsa.engine.readings import build_reading
from streammsa.errors import UsageError
from streammsa.models.io import ModelOutput
from streammsa.protocol import ModalityReading


def mods(text=None, audio=None, vision=None):
    """(intensity, confidence) per modality; None = absent."""

    def mr(v):
        return ModalityReading(False, None, None, None) if v is None else ModalityReading(True, v[0], 1.0, 0.5, v[1])

    return {"text": mr(text), "audio": mr(audio), "vision": mr(vision)}


def named(m, cal=DEFAULT):
    d = disagreement(m, cal)
    for k, v in d.by_modality.items():
        m[k].disagreement = v
    return d, odd_one_out(m)


def test_the_odd_one_out_of_three_is_named_and_the_window_disagrees():
    d, odd = named(mods(text=(2.0, 1.0), audio=(-2.0, 1.0), vision=(-2.0, 1.0)))
    assert d.window > 0.8  # clearly positive words, clearly negative voice and face
    assert d.by_modality["text"] > 0.8 and d.by_modality["audio"] < 0.05 and d.by_modality["vision"] < 0.05
    assert odd is not None and odd.name == "text" and odd.others_intensity == pytest.approx(-2.0)


def test_agreeing_readings_and_neutral_words_in_an_angry_voice_are_no_opposition():
    assert disagreement(mods(text=(2.0, 1.0), audio=(1.5, 1.0), vision=(2.5, 1.0)), DEFAULT).window < 0.05
    neutral = disagreement(mods(text=(0.0, 1.0), audio=(-2.0, 1.0), vision=(-2.0, 1.0)), DEFAULT)
    opposite = disagreement(mods(text=(2.0, 1.0), audio=(-2.0, 1.0), vision=(-2.0, 1.0)), DEFAULT)
    assert neutral.window < 0.2 < 0.95 < opposite.window


def test_two_modalities_share_one_score_and_are_named_as_a_pair():
    d, odd = named(mods(text=(1.5, 1.0), audio=(-1.5, 1.0)))
    assert d.by_modality["text"] == d.by_modality["audio"] == pytest.approx(d.window)
    assert d.by_modality["vision"] is None and odd.name == "text+audio"


def test_little_evidence_on_either_side_means_little_disagreement():
    strong = disagreement(mods(text=(2.0, 1.0), audio=(-2.0, 1.0)), DEFAULT).window
    weak_voice = disagreement(mods(text=(2.0, 1.0), audio=(-2.0, 0.2)), DEFAULT).window
    no_voice = disagreement(mods(text=(2.0, 1.0), audio=(-2.0, 0.0)), DEFAULT).window
    assert strong > 0.7 and weak_voice < 0.4 * strong and no_voice is None  # no evidence: as if absent


def test_an_unreliable_modality_is_named_less_readily_than_a_reliable_one():
    # positive words, negative voice, neutral face: with both read alike, words and voice are set apart alike
    readings = {"text": (1.5, 1.0), "audio": (-1.5, 1.0), "vision": (0.0, 1.0)}
    alike, _ = named(mods(**readings))
    assert alike.by_modality["text"] == pytest.approx(alike.by_modality["audio"])
    # a voice whose readings say little about its polarity (a flat calibration): the words are named
    flat = ModalityPolarity(weight=((-0.3, 0.0), (0.0, 0.0), (0.3, 0.0)), bias=(0.0, 0.0, 0.0), prior=(1 / 3,) * 3)
    unsure, odd = named(mods(**readings), PolarityCalibration({**DEFAULT.modalities, "audio": flat}))
    assert unsure.by_modality["audio"] < alike.by_modality["audio"] and odd.name == "text"


def test_a_modality_without_evidence_is_left_out_so_the_other_two_are_named_as_a_pair():
    # the start of a stream: a voice not yet familiar has confidence 0
    d, odd = named(mods(text=(2.0, 1.0), audio=(-2.0, 0.0), vision=(-2.0, 1.0)))
    assert d.by_modality["audio"] is None and odd.name == "text+vision" and d.window > 0.9


def test_a_lone_modality_and_absent_ones_have_no_disagreement():
    d = disagreement(mods(vision=(2.0, 1.0)), DEFAULT)
    assert d.window is None and d.by_modality == {"text": None, "audio": None, "vision": None}
    assert odd_one_out(mods(vision=(2.0, 1.0))) is None


def test_the_calibration_is_fitted_per_modality_and_round_trips_through_its_record():
    rng = np.random.default_rng(0)
    labels = rng.uniform(-3, 3, size=(600, 3))
    noise = np.array([0.3, 2.0, 0.3])  # the voice's readings are noisy
    readings = labels + rng.normal(size=labels.shape) * noise
    cal = fit(readings, labels, np.ones_like(labels, dtype=bool), "synthetic")
    sure = cal.probabilities("text", 2.0)[2]
    unsure = cal.probabilities("audio", 2.0)[2]
    assert sure > 0.9 and 0.4 < unsure < sure  # the same reading means less from the noisy modality
    again = PolarityCalibration.from_record(cal.to_record())
    assert np.allclose(again.probabilities("audio", -1.0), cal.probabilities("audio", -1.0))
    assert PolarityCalibration.from_record(None) is DEFAULT


def test_a_reader_and_the_models_head_are_calibrated_together_where_both_read_the_modality():
    rng = np.random.default_rng(1)
    labels = rng.uniform(-3, 3, size=(900, 3))
    # the words' reader and the model's text head each err on their own: together they say more than either
    readings = labels + rng.normal(size=labels.shape) * np.array([1.2, 0.3, 0.3])
    reader = np.full(labels.shape, np.nan)
    reader[5:, 0] = readings[5:, 0]  # where the reader could not read (the first 5), the reading shown stands in
    head = labels + rng.normal(size=labels.shape) * 1.2
    cal = fit(readings, labels, np.ones_like(labels, dtype=bool), "synthetic", {"reader": reader, "head": head})
    assert cal.modalities["text"].inputs == ("reader", "head") and cal.modalities["audio"].inputs == ("reading",)
    agree = cal.probabilities("text", 2.0, {"reader": 2.0, "head": 2.0})[2]
    split = cal.probabilities("text", 2.0, {"reader": 2.0, "head": -2.0})[2]
    assert agree > 0.9 and split < agree - 0.3  # the head is read: a reader the head contradicts is less sure
    # whichever of the two is shown, the calibration reads the reader and the head (the face shows its head)
    assert cal.probabilities("text", -2.0, {"reader": 2.0, "head": -2.0})[2] == pytest.approx(split)
    # a modality read by the head alone (no reader: e.g. --text-reader head) stands its reading in for the reader
    assert cal.probabilities("text", 1.5, {"head": 1.5}) == pytest.approx(
        cal.probabilities("text", 1.5, {"reader": 1.5, "head": 1.5})
    )
    record = cal.to_record()
    assert record["text"]["inputs"] == ["reader", "head"] and record["audio"]["inputs"] == ["reading"]
    again = PolarityCalibration.from_record(record)
    both = {"reader": 0.5, "head": -2.0}
    assert np.allclose(again.probabilities("text", 0.5, both), cal.probabilities("text", 0.5, both))

    # the monitor passes the head beside a reader's reading: contradicted words are named less readily
    words_odd = mods(text=(2.0, 1.0), audio=(-2.0, 1.0), vision=(-2.0, 1.0))
    trusted = disagreement(words_odd, cal, {"text": {"reader": 2.0, "head": 2.0}}).by_modality["text"]
    doubted = disagreement(words_odd, cal, {"text": {"reader": 2.0, "head": -2.0}}).by_modality["text"]
    assert trusted > doubted


def test_a_session_10_record_reads_the_reading_shown_and_the_head():
    cal = PolarityCalibration.from_record(
        {
            m: {
                "weight": [[-1.0, 0, -1.0, 0], [0, 0, 0, 0], [1.0, 0, 1.0, 0]],
                "bias": [0, 0, 0],
                "prior": [0.3, 0.4, 0.3],
                "inputs": ["reading", "head"],
            }
            for m in ("text", "audio", "vision")
        }
    )
    p = cal.probabilities("text", 1.0, {"head": -1.0, "reader": 3.0})  # "reading" is the reading shown
    assert p[0] == pytest.approx(p[2])
    with pytest.raises(UsageError, match="recalibrate"):
        PolarityCalibration.from_record(
            {
                m: {"weight": [[1.0, 0]] * 3, "bias": [0] * 3, "prior": [0] * 3, "inputs": ["reader", "head"]}
                for m in ("text", "audio", "vision")
            }
        )


def test_every_reading_carries_the_disagreement_of_the_window_and_its_modalities():
    out = ModelOutput(
        intensity=torch.tensor([0.0]),
        modality_intensity=torch.tensor([[2.0, -2.0, -2.0]]),
        conflict=torch.tensor([[1.2, 1.2, 1.2]]),
        weight=torch.tensor([[0.1, 0.1, 0.1]]),
        present=torch.tensor([[True, True, True]]),
    )
    r = build_reading(out, 0, stream="s", seq=0, t_start=0.0, t_end=4.0, transcript="", latency_ms=0.0,
                      model="cacr", trained=True, confidence={"text": 1.0, "audio": 1.0, "vision": 1.0})  # fmt: skip
    assert r.disagreement > 0.8 and r.to_dict()["disagreement"] == pytest.approx(r.disagreement, abs=1e-4)
    assert r.modalities["text"].disagreement > 0.8 > r.modalities["audio"].disagreement
    assert r.modalities["text"].conflict == pytest.approx(1.2)  # CACR's C_m stays as a diagnostic
