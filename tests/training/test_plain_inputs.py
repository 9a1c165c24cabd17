"""The plain-sentence set is well formed, and the text-alone evaluation reads it with the shipped checkpoint."""

from __future__ import annotations

import pytest

from streammsa.engine.inference import EngineConfig
from streammsa.monitor import Components, MonitorConfig
from streammsa.training.evaluation import plain_inputs as P

SENTENCES = P.sentences_file()


def test_the_plain_sentence_set_has_twenty_sentences_per_class():
    s = P.load_sentences(SENTENCES)
    assert {k: sum(x.label == k for x in s) for k in (1, 0, -1)} == {1: 20, 0: 20, -1: 20}
    assert len({x.text for x in s}) == 60


def test_class_summary_counts_means_polarity_and_auroc():
    out = P.class_summary([1, 1, 0, -1, -1], [2.0, -1.0, 0.5, -2.0, None])
    assert out["n"] == 4 and out["of"] == 5
    assert out["positive"]["mean"] == 0.5 and out["neutral"]["mean"] == 0.5 and out["negative"]["mean"] == -2.0
    assert out["polarity_acc"] == pytest.approx(2 / 3, abs=1e-3)
    assert out["auroc"] == 1.0  # both positives (2, -1) score above the negative (-2)


@pytest.mark.slow
def test_text_alone_reads_plain_sentences_in_the_right_order():
    components = Components.build(MonitorConfig(engine=EngineConfig(device="cpu")))
    res = P.text_alone(components, P.load_sentences(SENTENCES))
    assert len(res["items"]) == 60 and all(r["text_reading"] is not None for r in res["items"])
    # the shipped text path ranks plainly positive above plainly negative sentences
    assert res["text_reading"]["auroc"] >= 0.9
    assert res["vader"]["auroc"] >= 0.9
    # the overall reading of words alone: their sign, and neutral statements near 0 (session 8: +0.55, the model's)
    overall = res["overall"]
    assert overall["positive"]["mean"] > 0.5 and overall["negative"]["mean"] < -0.5
    assert abs(overall["neutral"]["mean"]) <= 0.4


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("face_reader", ["head", None], ids=["face head", "face reader"])
def test_still_faces_of_held_out_people_read_happy_above_angry_end_to_end(shared_data, face_reader):
    """Held-out people's smiling and angry photos, each as a still video through the whole monitor: the
    face reading is positive for the smiles and negative for the anger (medians: the faces set's labels
    are one annotator's and some are wrong; issue #10: a still angry face used to read +1.18), whether the face
    reader shown by default (models/face_reader.py; anger -0.81 median on these photos, session 12; the ridge
    reader of sessions 7-11 read -0.40) or the fusion model's face head (--face-reader head; -1.37) reads it."""
    components = Components.build(MonitorConfig(engine=EngineConfig(device="cpu"), face_reader=face_reader))
    res = P.still_faces(components, shared_data, per_class=8, classes=("happiness", "anger"))
    assert [r["emotion"] for r in res["items"]] == ["happiness"] * 8 + ["anger"] * 8
    assert all(r["vision_windows"] > 0 for r in res["items"])
    assert res["happiness"]["face_median"] > 1.0 and res["anger"]["face_median"] < -0.5


@pytest.mark.slow
@pytest.mark.data
def test_neutral_speech_from_every_source_reads_near_zero_end_to_end(shared_data):
    """Issue #10: neutral speech from every source reads within +-0.4, as the monitor shows it (against each
    speaker's running baseline). Held-out RAVDESS actors, EmoDB speakers and GRID talkers, GRID's 11 talkers in
    one stream (a new voice every 3 s against one baseline) and espeak-ng; the voice reader alone read a held-out
    GRID talker at -1.69 (docs/live-results.md, session 7)."""
    components = Components.build(MonitorConfig(engine=EngineConfig(device="cpu")))
    res = P.neutral_voices(components, shared_data)
    assert set(res) == {
        "ravdess (held-out speakers)",
        "emodb (held-out speakers)",
        "grid (held-out speakers)",
        "grid, 11 talkers in one stream",
        "espeak-ng, plain neutral sentences",
    }
    assert res["ravdess (held-out speakers)"]["streams"] == 6 and res["emodb (held-out speakers)"]["streams"] == 2
    for source, r in res.items():
        assert r["windows"] >= 5, source  # every stream was heard as speech
        assert abs(r["mean"]) <= 0.4, (source, r)
        assert 0.0 < r["confidence_mean"] <= 1.0, (source, r)
