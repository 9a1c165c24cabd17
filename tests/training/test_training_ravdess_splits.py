"""The RAVDESS benchmark's splits: speaker-independent by actor, and a fixed random split."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.datasets.corpus_labels import parse_ravdess
from streammsa.training.dataset import Sample


def _bench():
    from streammsa.training.benchmarks import ravdess

    return ravdess


@pytest.mark.data
def test_speaker_split_never_shares_an_actor_and_random_split_is_fixed(shared_data):
    bench = _bench()
    files = sorted((shared_data / "ravdess" / "audio").glob("Actor_*/*.flac"))
    assert len(files) == 1380
    samples = [
        Sample(id=f.stem, features={}, label=0.0, speaker=f"{parse_ravdess(f.stem)['actor']:02d}") for f in files
    ]
    split = bench.make_splits(samples, "speaker")
    actors = {k: {s.speaker for s in v} for k, v in split.items()}
    assert (
        not (actors["train"] & actors["valid"])
        and not (actors["train"] & actors["test"])
        and not (actors["valid"] & actors["test"])
    )
    assert {len(v) for v in actors.values()} == {15, 3, 5}  # Actor 05 is absent from train
    assert sum(len(v) for v in split.values()) == 1380
    a, b = bench.make_splits(samples, "random"), bench.make_splits(samples, "random")
    assert [s.id for s in a["test"]] == [s.id for s in b["test"]]
    assert [len(a[k]) for k in ("train", "valid", "test")] == [966, 207, 207]
    assert len({s.id for v in a.values() for s in v}) == 1380


@pytest.mark.data
def test_every_audio_clip_has_action_units(shared_data):
    bench = _bench()
    au = np.load(shared_data / "ravdess" / "au_mfcc.npz")
    keys = {bench.clip_key(str(i)) for i in au["ids"]}
    files = sorted((shared_data / "ravdess" / "audio").glob("Actor_*/*.flac"))
    assert all(bench.clip_key(f.stem) in keys for f in files)
    assert au["features"].shape[1] == 294  # columns 0-34 are the AUs the benchmark reads
