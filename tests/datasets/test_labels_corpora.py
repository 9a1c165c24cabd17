"""The label parsers on the real corpora's file names and tables in ../shared/data."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest

from streammsa.datasets.corpus_labels import (
    CHSIMS_SCALE,
    faces_emotion,
    parse_emodb,
    parse_ravdess,
    read_chsims_v2,
    read_cremad_votes,
    read_emodb_recognition,
)
from streammsa.datasets.labels import EMOTIONS

pytestmark = pytest.mark.data


def test_every_ravdess_clip_and_feature_id_parses(shared_data):
    names = sorted(shared_data.glob("ravdess/audio/Actor_*/*.flac"))
    infos = [parse_ravdess(p) for p in names]
    assert len(infos) == 1380
    assert {i["emotion"] for i in infos} == {
        "neutral",
        "calm",
        "happiness",
        "sadness",
        "anger",
        "fear",
        "disgust",
        "surprise",
    }
    assert 5 not in {i["actor"] for i in infos}  # the README says Actor 05 is absent
    ids = np.load(shared_data / "ravdess" / "au_mfcc.npz")["ids"]
    assert {parse_ravdess(str(i))["modality"] for i in ids} == {"audio-video"}


def test_every_emodb_clip_parses_and_has_a_recognition_rate(shared_data):
    rec = read_emodb_recognition(shared_data / "emodb" / "erkennung.txt")
    stems = [p.stem for p in sorted((shared_data / "emodb" / "audio").glob("*.flac"))]
    counts = Counter(parse_emodb(s)["emotion"] for s in stems)
    assert sum(counts.values()) == 535 and len(counts) == 7
    # EmoDB's released set kept renditions recognised by >= 80 % of listeners
    assert min(rec[s].recognised for s in stems) >= 0.8


def test_every_faces_label_maps_to_the_vocabulary(shared_data):
    with (shared_data / "faces" / "labels.csv").open(newline="") as fh:
        emotions = Counter(faces_emotion(r["emotion"]) for r in csv.DictReader(fh))
    assert set(emotions) <= set(EMOTIONS)
    assert emotions["happiness"] == 1600 and emotions["contempt"] == 9


def test_cremad_votes_cover_all_clips_in_three_conditions(shared_data):
    clips = read_cremad_votes(shared_data / "cremad")
    assert len(clips) == 7442
    # The clip's own summary row names the same multimodal majority vote
    with (shared_data / "cremad" / "summaryTable.csv").open(newline="") as fh:
        summary = {r["FileName"]: r for r in csv.DictReader(fh)}
    clip = next(c for c in clips if c.name == "1001_IEO_HAP_HI")
    top = max(clip.multimodal.counts, key=clip.multimodal.counts.get)
    assert summary[clip.name]["MultiModalVote"] == top
    assert clip.info["emotion"] == "happiness" and clip.multimodal.valence > 0


def test_chsims_v2_labels_are_scaled_to_minus3_plus3(shared_data):
    rows = read_chsims_v2(shared_data / "chsims_v2" / "labels.csv")
    assert Counter(r.mode for r in rows) == {"train": 2722, "valid": 647, "test": 1034}
    values = [v for r in rows for v in (r.label, r.label_t, r.label_a, r.label_v)]
    assert min(values) == -CHSIMS_SCALE and max(values) == CHSIMS_SCALE
