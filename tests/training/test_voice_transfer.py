"""Voice transfer probe: speaker normalisation and scoring on speakers the probe never saw."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa.training.evaluation.voice_transfer import (
    VoiceClips,
    joined,
    pooled,
    probe_auroc,
    speaker_normalised,
    transfer_table,
)


def _corpus(name: str, speakers: int, offset_scale: float, seed: int) -> VoiceClips:
    """Polarity moves feature 0 by +-1; each speaker shifts every feature by a large offset of its own."""
    rng = np.random.default_rng(seed)
    xs, labels, spk, split = [], [], [], []
    for s in range(speakers):
        offset = offset_scale * rng.standard_normal(4)
        for label in [-2.0] * 6 + [0.0] * 4 + [2.0] * 6:
            x = offset + 0.3 * rng.standard_normal(4)
            x[0] += np.sign(label)
            xs.append(x), labels.append(label), spk.append(f"{name}:s{s}")
            split.append("test" if s >= speakers - 2 else "train")
    return VoiceClips(name, np.asarray(xs), np.asarray(labels), np.asarray(spk), np.asarray(split))


def test_pooled_is_mean_then_spread_over_time():
    f = np.array([[0.0, 2.0], [2.0, 2.0]])
    assert pooled(f).tolist() == [1.0, 2.0, 1.0, 0.0]


def test_speaker_normalised_centres_and_scales_each_speaker():
    c = _corpus("a", 4, 5.0, 0)
    z = speaker_normalised(c.x, c.speaker)
    for s in np.unique(c.speaker):
        assert np.allclose(z[c.speaker == s].mean(axis=0), 0.0, atol=1e-9)
        assert np.allclose(z[c.speaker == s].std(axis=0), 1.0, atol=1e-9)


def test_speaker_offsets_hurt_unseen_speakers_until_normalised():
    c = _corpus("a", 10, 3.0, 1)
    train, test = c.subset(c.split == "train"), c.subset(c.split == "test")
    glob = probe_auroc(train, test, "global")
    spk = probe_auroc(train, test, "speaker")
    assert spk["auroc"] > 0.95
    assert spk["auroc"] >= glob["auroc"]
    assert spk["test_clips"] == 2 * 12 and spk["test_positive"] == 12  # neutral clips are not scored
    with pytest.raises(ValueError):
        probe_auroc(train, test, "per-utterance")


def test_transfer_table_has_each_protocol_once_per_normalisation():
    corpora = {"a": _corpus("a", 6, 1.0, 2), "b": _corpus("b", 6, 1.0, 3)}
    rows = transfer_table(corpora, ("global",))
    assert [(r["protocol"], r["train"], r["test"]) for r in rows] == [
        ("leave speakers out", "a train+valid speakers", "a test speakers"),
        ("leave speakers out", "b train+valid speakers", "b test speakers"),
        ("leave speakers out", "train+valid speakers of a and b", "their test speakers"),
        ("leave one corpus out", "all of a", "all of b"),
        ("leave one corpus out", "all of b", "all of a"),
    ]
    assert all(0.0 <= r["auroc"] <= 1.0 for r in rows)
    assert len(joined(list(corpora.values())).label) == 2 * 6 * 16
