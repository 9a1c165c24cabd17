"""Unimodal pools of the composed dataset: identity-held-out splits, the monitor extractors' exact
features, and a cache that makes a rebuild run no extractor at all."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from streammsa import MODALITIES
from streammsa.datasets import corpus_labels as C
from streammsa.datasets import items as pool_items
from streammsa.datasets import labels as L
from streammsa.datasets.extractors import MonitorExtractors
from streammsa.datasets.pools import build_pools
from streammsa.errors import InputError
from streammsa.features.defaults import default_feature_spec


def test_face_group_strips_the_photo_number_only():
    assert pool_items.face_group("George_W_Bush_0012.jpg") == "George_W_Bush"
    assert pool_items.face_group("Avinash_10.jpg") == "Avinash"
    assert pool_items.face_group("facial-expressions_2868582k.jpg") == "facial-expressions_2868582k"


def test_grid_sentence_decodes_the_file_name():
    assert pool_items.grid_sentence("bbaf2n") == "bin blue at f two now"
    assert pool_items.grid_sentence("id2_vcd_swwp2s.mpg") == "set white with p two soon"
    with pytest.raises(InputError, match="GRID"):
        pool_items.grid_sentence("bbaf2")


def test_hash_split_is_stable_and_follows_the_fractions():
    groups = [f"person_{i}" for i in range(3000)]
    first = [pool_items.hash_split(g) for g in groups]
    assert first == [pool_items.hash_split(g) for g in groups]
    share = {s: first.count(s) / len(first) for s in pool_items.SPLITS}
    for s, frac in zip(pool_items.SPLITS, pool_items.FACES_FRACTIONS):
        assert abs(share[s] - frac) < 0.03, share


def test_split_tables_cover_every_actor_speaker_and_grid_clip():
    assert sorted(pool_items.RAVDESS_SPLIT) == [a for a in range(1, 25) if a != 5]
    assert sorted(pool_items.EMODB_SPLIT) == sorted(C.EMODB_SPEAKER_SEX)
    assert set(pool_items.GRID_SPEAKER.values()) == set(pool_items.GRID_SPLIT)
    for table in (pool_items.RAVDESS_SPLIT, pool_items.EMODB_SPLIT, pool_items.GRID_SPLIT):
        assert set(table.values()) == set(pool_items.SPLITS)


@pytest.mark.data
def test_no_identity_group_crosses_splits_in_the_real_corpora(shared_data: Path):
    items = pool_items.list_items(shared_data)
    split_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for it in items:
        split_of[(it.modality, it.group)].add(it.split)
    crossing = {k: v for k, v in split_of.items() if len(v) > 1}
    assert not crossing, list(crossing.items())[:5]
    counts = defaultdict(int)
    for it in items:
        counts[(it.corpus, it.modality)] += 1
    # every labelled item of the corpora is listed (README counts; empty transcripts would be dropped)
    assert counts[("ravdess", "audio")] == 1380
    assert counts[("emodb", "audio")] == 535
    assert counts[("faces", "vision")] == 4052
    assert counts[("mosi", "text")] == 2199
    assert counts[("grid", "vision")] == counts[("grid", "audio")] == counts[("grid", "text")] == 11
    # MOSI / MOSEI keep their standard splits
    mosi = [it.split for it in items if it.corpus == "mosi"]
    assert (mosi.count("train"), mosi.count("valid"), mosi.count("test")) == (1284, 229, 686)
    # labels come from the one mapping in labels.py
    for it in items:
        if it.corpus == "ravdess":
            info = C.parse_ravdess(it.path)
            assert it.label == L.intensity_for(info["emotion"], info["intensity_level"])
        elif it.corpus in ("emodb", "faces"):
            assert it.label == L.intensity_for(it.emotion)


@pytest.mark.data
def test_limit_keeps_every_split_and_unknown_corpus_is_a_clear_error(shared_data: Path):
    items = pool_items.list_items(shared_data, corpora=["ravdess"], limit=30)
    assert len(items) == 30
    assert {it.split for it in items} == set(pool_items.SPLITS)
    with pytest.raises(InputError, match="unknown corpus"):
        pool_items.list_items(shared_data, corpora=["iemocap"])


class CountingExtractors(MonitorExtractors):
    """The real monitor extractors, counting every item they are asked to extract."""

    def __init__(self, spec):
        super().__init__(spec)
        self.calls = 0

    def extract_many(self, items):
        self.calls += len(items)
        return super().extract_many(items)


@pytest.fixture(scope="module")
def small_items(shared_data: Path) -> list[pool_items.PoolItem]:
    items = pool_items.list_items(shared_data, corpora=["mosi", "ravdess", "faces", "grid"], limit=4)
    return items


@pytest.mark.data
def test_features_are_the_monitor_extractors_and_a_rebuild_runs_none(small_items, tmp_path: Path):
    spec = default_feature_spec()
    first_ex = CountingExtractors(spec)
    pools, stats = build_pools(small_items, spec, tmp_path, progress=False, extractors=first_ex)
    assert first_ex.calls == len(small_items) + len(C.RAVDESS_STATEMENTS)
    assert sum(stats.computed.values()) == first_ex.calls and not stats.cached

    again = CountingExtractors(spec)
    pools2, stats2 = build_pools(small_items, spec, tmp_path, progress=False, extractors=again)
    assert again.calls == 0 and again.created == 0 and stats2.extractors_created == 0
    assert sum(stats2.cached.values()) == first_ex.calls
    for m in MODALITIES:
        for s in pool_items.SPLITS:
            a, b = pools.entries[m][s], pools2.entries[m][s]
            assert [e.item.key for e in a] == [e.item.key for e in b]
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x.features, y.features)

    # same numbers as the monitor's extractors called directly on the same media
    from streammsa.capture.media_file import read_audio
    from streammsa.features.audio import AudioFeatureExtractor
    from streammsa.features.text import TextEncoder
    from streammsa.features.vision import FaceFeatureExtractor

    audio = next(e for s in pool_items.SPLITS for e in pools.entries["audio"][s] if e.item.corpus == "ravdess")
    direct = AudioFeatureExtractor.from_spec(spec.audio).extract(read_audio(audio.item.path))
    np.testing.assert_allclose(audio.features, direct, rtol=1e-5, atol=1e-5)
    assert audio.features.shape[1] == spec.audio.dim

    text = next(e for s in pool_items.SPLITS for e in pools.entries["text"][s] if e.item.corpus == "mosi")
    np.testing.assert_allclose(text.features, TextEncoder.from_spec(spec.text).encode(text.item.text), atol=1e-4)
    assert text.word_index.min() == 0 and text.word_index.max() == len(text.item.text.split()) - 1
    assert np.all(np.diff(text.word_index) >= 0)

    import cv2

    photo = next(e for s in pool_items.SPLITS for e in pools.entries["vision"][s] if e.item.still)
    with FaceFeatureExtractor.from_spec(spec.vision) as face:
        img = cv2.cvtColor(cv2.imread(photo.item.path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        np.testing.assert_allclose(photo.features[0], face.process_image(img), atol=1e-5)

    grid = next(e for s in pool_items.SPLITS for e in pools.entries["vision"][s] if e.item.corpus == "grid")
    # a 3 s GRID clip at the monitor's 10 analysed frames per second, every frame with a face
    assert 28 <= len(grid.features) <= 31


@pytest.mark.data
def test_a_changed_source_is_extracted_again(small_items, tmp_path: Path):
    import dataclasses

    spec = default_feature_spec()
    texts = [it for it in small_items if it.modality == "text"][:2]
    build_pools(texts, spec, tmp_path, progress=False)
    edited = [dataclasses.replace(texts[0], text=texts[0].text + " really"), texts[1]]
    ex = CountingExtractors(spec)
    _, stats = build_pools(edited, spec, tmp_path, progress=False, extractors=ex)
    assert ex.calls == 1
    assert sum(stats.computed.values()) == 1 and sum(stats.cached.values()) == 1
