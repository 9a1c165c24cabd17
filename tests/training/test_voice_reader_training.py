"""Fitting the voice reader (training/voice_reader.py): clips join into one stream per speaker and label; the
positive, neutral and negative sides weigh the same; the ridge fit reads what the features carry."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.datasets.items import list_items
from streammsa.training.voice_reader import Windows, balanced, fit, score, stream_groups


def windows(x: np.ndarray, label: np.ndarray, emotion: list[str]) -> Windows:
    n = len(label)
    return Windows(
        x=x,
        label=label,
        weight=np.ones(n),
        emotion=np.asarray(emotion, dtype=object),
        speaker=np.asarray([f"s{i % 4}" for i in range(n)], dtype=object),
        corpus=np.full(n, "c", dtype=object),
        split=np.full(n, "train", dtype=object),
    )


def test_each_side_weighs_the_same_however_many_windows_it_has():
    label = np.array([2.0] * 2 + [0.0] * 3 + [-2.0] * 10)
    w = balanced(windows(np.zeros((15, 2)), label, ["happiness"] * 15)).weight
    sums = [w[np.sign(label) == s].sum() for s in (-1, 0, 1)]
    assert sums == pytest.approx([sums[0]] * 3) and w.mean() == pytest.approx(1.0)


def test_the_fit_reads_a_valence_the_features_carry_and_centres_neutral():
    rng = np.random.default_rng(0)
    emotion = rng.choice(["happiness", "neutral", "anger", "sadness", "fear"], size=600)
    label = np.select([emotion == "happiness", emotion == "neutral"], [2.0, 0.0], -2.0)
    x = rng.normal(size=(600, 20))
    x[:, 3] += label  # one feature carries valence, the others are noise
    reader = fit(windows(x, label, list(emotion)), alpha=10.0)
    s = score(reader, windows(x, label, list(emotion)))
    assert s.auroc > 0.95 and abs(s.neutral_mean) < 0.3
    assert np.argmax(np.abs(reader.w)) == 3


@pytest.mark.data
def test_clips_join_into_one_stream_per_speaker_and_label(shared_data):
    items = list_items(shared_data, corpora=["ravdess"], modalities=["audio"])
    groups = stream_groups(items)
    for its in groups.values():
        assert len({(it.group, it.emotion, it.label, it.split) for it in its}) == 1
    # RAVDESS: 2 statements x 2 repetitions per actor, emotion and intensity (surprise: 0 at both intensities)
    assert {len(its) for its in groups.values()} == {4, 8}
    assert sum(len(its) for its in groups.values()) == len(items)


def test_a_reader_fitted_on_train_and_valid_speakers_finds_another_corpus_unfamiliar():
    """Typicality (models/typicality.py): windows of held-out speakers of the fitted corpus read typical, windows of
    a corpus whose features vary along other directions read unfamiliar; a reader fitted on train speakers alone
    (as when choosing the ridge strength) has no typicality and counts every window as typical."""
    rng = np.random.default_rng(0)
    d, k = 40, 5
    seen, other = np.linalg.qr(rng.normal(size=(d, d)))[0][:, :k].T, np.linalg.qr(rng.normal(size=(d, d)))[0][:, :k].T

    def corpus(n: int, directions: np.ndarray) -> np.ndarray:  # most variance along a few directions, a little noise
        return rng.normal(size=(n, k)) @ directions * 3.0 + rng.normal(size=(n, d)) * 0.3

    x = corpus(900, seen)
    label = rng.choice([-2.0, 0.0, 2.0], size=900)
    rows = windows(x, label, ["neutral"] * 900)
    rows.split[:] = np.where(np.arange(900) < 600, "train", "valid")
    reader = fit(rows, alpha=10.0)
    assert reader.typicality is not None
    held_out, foreign = reader.typicality_pooled(corpus(300, seen)), reader.typicality_pooled(corpus(300, other))
    assert held_out.mean() > 0.6 and foreign.mean() < 0.15, (held_out.mean(), foreign.mean())
    assert np.all((0.1 <= held_out) & (held_out <= 1.0)) and foreign.min() == pytest.approx(0.1)

    train_only = fit(rows.where(rows.split == "train"), alpha=10.0)
    assert train_only.typicality is None and np.all(train_only.typicality_pooled(corpus(5, other)) == 1.0)

    # fitted on train alone with the validation speakers named: the same directions' range from speakers unseen
    named = fit(rows.where(rows.split == "train"), alpha=10.0, held_out=rows.where(rows.split == "valid"))
    assert named.typicality is not None
    held_out, foreign = named.typicality_pooled(corpus(300, seen)), named.typicality_pooled(corpus(300, other))
    assert held_out.mean() > 0.6 and foreign.mean() < 0.15, (held_out.mean(), foreign.mean())
