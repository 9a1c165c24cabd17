"""Real-part conflict clips: every face is paired once agreeing and once disagreeing with the spoken words, the
clip is a real media file the monitor replays, and a face against opposite words reads as more disagreement."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest

from streammsa.engine.inference import EngineConfig
from streammsa.monitor import Components, MonitorConfig
from streammsa.training.evaluation import plain_inputs as P
from streammsa.training.evaluation import real_conflict as R

SENTENCES = P.load_sentences(P.sentences_file())


def test_each_face_meets_words_of_its_polarity_once_and_of_the_other_once():
    faces = [SimpleNamespace(key=f"f{i}", emotion=e) for i, e in enumerate(("happiness", "anger", "sadness", "anger"))]
    clips = R.pair_clips(faces, SENTENCES)
    assert len(clips) == 8 and sum(c.disagree for c in clips) == 4
    for f in faces:
        mine = [c for c in clips if c.face == f.key]
        assert sorted(c.disagree for c in mine) == [False, True]
        assert {c.words_polarity for c in mine} == {1, -1}
    assert len({c.sentence for c in clips}) == 8  # sentences taken in turn, none repeated here
    labels = {s.text: s.label for s in SENTENCES}
    assert all(labels[c.sentence] == c.words_polarity for c in clips)


def test_a_talking_still_has_the_picture_for_the_whole_speech_and_a_second_after(tmp_path: Path):
    rate = 22050
    speech = 0.2 * np.sin(2 * np.pi * 220 * np.arange(int(1.5 * rate)) / rate).astype(np.float32)
    path = tmp_path / "clip.mkv"
    R.write_talking_still(path, np.full((64, 64, 3), 128, np.uint8), speech, rate)
    with av.open(str(path)) as f:
        frames = sum(1 for _ in f.decode(video=0))
    with av.open(str(path)) as f:
        samples = sum(fr.samples for fr in f.decode(audio=0))
    assert frames == int((1.5 + R.TAIL_S) * 25)
    assert samples == pytest.approx((1.5 + R.TAIL_S) * rate, abs=rate // 10)


@pytest.mark.slow
@pytest.mark.data
def test_a_smiling_face_over_negative_words_disagrees_more_than_over_positive_words(shared_data):
    components = Components.build(MonitorConfig(engine=EngineConfig(device="cpu")))
    face = next(f for f in R.held_out_faces(shared_data, 1) if f.emotion == "happiness")
    agree, disagree = R.pair_clips([face], SENTENCES)
    a = R.replay_clip(components, agree, face.path, "en-us")
    d = R.replay_clip(components, disagree, face.path, "en-us")
    for r in (a, d):  # the whole monitor heard the words and saw the face in every window
        assert r["windows"] >= 3 and r["windows_with_disagreement"] == r["windows"] and r["vision"] > 1.0
    assert a["text"] > 0 > d["text"]
    assert d["disagreement"] > a["disagreement"] + 0.1
