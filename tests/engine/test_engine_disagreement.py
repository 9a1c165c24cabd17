"""The product's conflict signal names the modality that disagrees, weighs evidence, and is absent without company."""

from __future__ import annotations

import pytest
import torch

from streammsa.engine.disagreement import disagreements, odd_one_out
from streammsa.engine.readings import build_reading
from streammsa.models.io import ModelOutput
from streammsa.protocol import ModalityReading


def mods(text=None, audio=None, vision=None):
    """(intensity, confidence) per modality; None = absent."""

    def mr(v):
        return ModalityReading(False, None, None, None) if v is None else ModalityReading(True, v[0], 1.0, 0.5, v[1])

    return {"text": mr(text), "audio": mr(audio), "vision": mr(vision)}


def test_the_odd_one_out_of_three_has_the_largest_disagreement():
    m = mods(text=(1.5, 1.0), audio=(-1.5, 1.0), vision=(-1.5, 1.0))
    d = disagreements(m)
    assert d["text"] == pytest.approx(0.5)  # 3 apart on a 6-wide scale, full evidence
    assert d["audio"] == pytest.approx(0.25) and d["vision"] == pytest.approx(0.25)
    for k, v in d.items():
        m[k].disagreement = v
    odd = odd_one_out(m)
    assert odd is not None and odd.name == "text" and odd.others_intensity == pytest.approx(-1.5)


def test_two_modalities_share_one_score_and_are_named_as_a_pair():
    m = mods(text=(1.0, 1.0), audio=(-1.0, 1.0))
    d = disagreements(m)
    assert d["text"] == d["audio"] == pytest.approx(2 / 6) and d["vision"] is None
    for k, v in d.items():
        m[k].disagreement = v
    assert odd_one_out(m).name == "text+audio"


def test_little_evidence_on_either_side_means_little_disagreement():
    strong = disagreements(mods(text=(2.0, 1.0), audio=(-2.0, 1.0)))["text"]
    weak_voice = disagreements(mods(text=(2.0, 1.0), audio=(-2.0, 0.2)))["text"]
    assert weak_voice == pytest.approx(0.2 * strong)


def test_a_lone_modality_and_absent_ones_have_no_disagreement():
    assert disagreements(mods(vision=(2.0, 1.0))) == {"text": None, "audio": None, "vision": None}
    assert odd_one_out(mods(vision=(2.0, 1.0))) is None


def test_every_reading_carries_the_disagreement_of_its_modalities():
    out = ModelOutput(
        intensity=torch.tensor([0.0]),
        modality_intensity=torch.tensor([[1.5, -1.5, -1.5]]),
        conflict=torch.tensor([[1.2, 1.2, 1.2]]),
        weight=torch.tensor([[0.1, 0.1, 0.1]]),
        present=torch.tensor([[True, True, True]]),
    )
    r = build_reading(out, 0, stream="s", seq=0, t_start=0.0, t_end=4.0, transcript="", latency_ms=0.0,
                      model="cacr", trained=True, confidence={"text": 1.0, "audio": 1.0, "vision": 1.0})  # fmt: skip
    assert r.modalities["text"].disagreement == pytest.approx(0.5)
    assert r.modalities["text"].conflict == pytest.approx(1.2)  # CACR's C_m stays as a diagnostic
    assert r.to_dict()["modalities"]["audio"]["disagreement"] == pytest.approx(0.25)
