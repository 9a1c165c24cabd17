"""Composed tri-modal windows: kind proportions, fusion-rule labels, masked absent modalities,
identity-held-out splits, and a directory the training loader reads."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from streammsa import MODALITIES
from streammsa.datasets.build import BuildConfig, build_composed_dataset, read_composition
from streammsa.datasets.compose import (
    BINS,
    DEFAULT_PROPORTIONS,
    ComposeConfig,
    Composer,
    _apportion,
    bounce_index,
    conflict_of,
    polarity_bin,
)
from streammsa.datasets.fusion_rule import FusionRule
from streammsa.datasets.items import SPLITS, PoolItem, list_items
from streammsa.datasets.pools import PoolEntry, Pools, build_pools
from streammsa.features import vision as V
from streammsa.features.defaults import default_feature_spec
from streammsa.paths import REPO_ROOT
from streammsa.training.dataset import collate
from streammsa.training.feature_data import load_feature_split

REPO = REPO_ROOT
SIZES = {"train": 400, "valid": 120, "test": 120}


def test_conflict_needs_a_present_positive_and_a_present_negative():
    assert conflict_of(np.array([2.0, -2.0, np.nan]), 0.5) == (True, 4.0)
    assert conflict_of(np.array([2.0, 0.0, 0.3]), 0.5) == (False, 2.0)
    assert conflict_of(np.array([np.nan, -3.0, np.nan]), 0.5) == (False, 0.0)
    assert [polarity_bin(y, 0.5) for y in (-0.5, -0.49, 0.49, 0.5)] == ["negative", "neutral", "neutral", "positive"]


def test_apportion_is_exact_and_closest():
    for n, p in (
        (10, [0.3, 0.3, 0.15, 0.05, 0.15, 0.05]),
        (20000, list(DEFAULT_PROPORTIONS.values())),
        (7, [1 / 3] * 3),
    ):
        p = np.asarray(p) / np.sum(p)
        counts = _apportion(n, p)
        assert sum(counts) == n
        assert all(abs(c - n * q) < 1 for c, q in zip(counts, p))


def test_config_rejects_unknown_kinds_and_bad_rates():
    with pytest.raises(ValueError, match="unknown window kind"):
        ComposeConfig(proportions={"agreeing": 1.0})
    with pytest.raises(ValueError, match="words_per_s"):
        ComposeConfig(words_per_s=(3.0, 2.0))


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("composed_dataset")
    cfg = BuildConfig(
        data=shared_data, out=root / "v1", cache=root / "cache", limit=12, sizes=dict(SIZES), progress=False
    )
    return root / "v1", build_composed_dataset(cfg)


@pytest.mark.data
def test_kind_counts_follow_the_configured_proportions(built):
    _, manifest = built
    total = sum(DEFAULT_PROPORTIONS.values())
    for split, n in SIZES.items():
        kinds = manifest["splits"][split]["by_kind"]
        assert sum(kinds.values()) == n
        for kind, p in DEFAULT_PROPORTIONS.items():
            assert abs(kinds.get(kind, 0) - n * p / total) <= 1, (split, kind, kinds)


@pytest.mark.data
def test_labels_follow_the_fusion_rule_and_absent_modalities_are_masked(built):
    out, _ = built
    rule = FusionRule.load()
    spec = default_feature_spec()
    for split in SPLITS:
        data = load_feature_split(out, split)
        rows = {r["id"]: r for r in read_composition(out / "composition" / f"{split}.csv")}
        assert len(data) == SIZES[split] == len(rows)
        absent_seen = 0
        for s in data.samples:
            y = [None if math.isnan(v) else float(v) for v in s.modality_labels]
            assert s.label == pytest.approx(rule.combine(*y), abs=1e-5)
            row = rows[s.id]
            for k, m in enumerate(MODALITIES):
                steps = s.features[m].shape[0]
                assert s.features[m].shape[1] == spec[m].dim
                # a modality has steps exactly when it has a label: absent is length 0 + NaN, never zeros
                assert (steps > 0) == (y[k] is not None), (s.id, m)
                assert int(row[f"{m}_steps"]) == steps
                absent_seen += steps == 0
            assert s.features["audio"].shape[0] <= round(spec.window_s * spec.audio.rate_hz)
            assert s.features["vision"].shape[0] <= round(spec.window_s * spec.vision.rate_hz)
            labels = np.asarray([np.nan if v is None else v for v in y])
            flag, magnitude = conflict_of(labels, 0.5)
            assert int(row["conflict"]) == int(flag) and float(row["conflict_magnitude"]) == pytest.approx(
                magnitude, abs=1e-5
            )
            kind = row["kind"]
            present = [v for v in y if v is not None]
            # late words may leave a window without its text (and its label): one modality fewer
            unheard = int(row["replay"] == "late_text" and y[0] is None)
            assert row["replay"] in ("", "start", "late_text")
            if kind == "conflict":
                assert len(present) == 3 - unheard and (flag or unheard)
            elif kind == "agree":
                assert len({polarity_bin(v, 0.5) for v in present}) == 1 and len(present) == 3 - unheard
            elif kind == "one_absent":
                assert len(present) == 2 - unheard
            elif kind == "two_absent":
                assert len(present) == 1
            elif kind == "ravdess_statement":
                assert y[0] == (None if unheard else 0.0) and y[1] is not None and y[2] is None
                assert row["audio_source"].startswith("ravdess/")
                if not unheard:  # the statement is the one the actor spoke in that clip
                    assert row["text_source"] == f"ravdess_statement/{int(row['audio_source'].split('-')[4])}"
            elif kind == "grid_real":
                assert y[1:] == [0.0, 0.0] and y[0] == (None if unheard else 0.0)
                assert row["audio_source"] == row["vision_source"] and row["text_source"] in ("", row["audio_source"])
        assert absent_seen > 0
        batch = collate([data[i] for i in range(len(data))])
        for k, m in enumerate(MODALITIES):
            lengths = np.array([s.features[m].shape[0] for s in data.samples])
            assert np.array_equal(batch.mask[m].sum(dim=1).numpy(), lengths)
            assert np.array_equal(batch.present[:, k].numpy(), lengths > 0)


@pytest.mark.data
def test_composed_splits_never_share_an_identity(built):
    out, _ = built
    owners: dict[str, dict[str, str]] = {m: {} for m in MODALITIES}
    for split in SPLITS:
        for row in read_composition(out / "composition" / f"{split}.csv"):
            for m in MODALITIES:
                group = row[f"{m}_group"]
                if group and not group.startswith("ravdess_statement:"):  # the two fixed RAVDESS sentences
                    assert owners[m].setdefault(group, split) == split, (m, group)


@pytest.mark.data
def test_manifest_counts_match_the_written_data(built):
    out, manifest = built
    assert manifest["feature_spec"] == default_feature_spec().to_dict()
    assert manifest["extraction"]["computed"] and not manifest["extraction"]["cached"]
    for split in SPLITS:
        rows = read_composition(out / "composition" / f"{split}.csv")
        assert manifest["splits"][split]["conflict"] == sum(int(r["conflict"]) for r in rows)
        assert sum(manifest["splits"][split]["overall_label_bins"][b] for b in BINS) == len(rows)
    for m in MODALITIES:
        assert sum(manifest["pools"][m][s]["items"] for s in SPLITS) > 0


@pytest.fixture(scope="module")
def small_pools(shared_data: Path, tmp_path_factory):
    items = list_items(shared_data, corpora=["mosi", "ravdess", "faces", "grid"], limit=6)
    pools, _ = build_pools(items, default_feature_spec(), tmp_path_factory.mktemp("pools"), progress=False)
    return pools


def test_bounce_index_plays_forward_and_back_without_jumps():
    idx = bounce_index(4, 10, 0)
    assert idx.tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert np.all(np.abs(np.diff(bounce_index(30, 40, 17))) == 1)


@pytest.mark.data
def test_still_photos_are_repeated_and_move_only_as_a_real_grid_face(small_pools):
    spec = default_feature_spec()
    rule = FusionRule.load()
    frames = round(spec.window_s * spec.vision.rate_hz)
    still = Composer(small_pools, spec, rule, ComposeConfig(still_jitter=0.0, replay_share=0, seed=1)).compose(
        "train", 80
    )
    photos = [w for w in still if w.sources.get("vision", "").startswith("faces/")]
    assert photos
    for w in photos:
        x = w.features["vision"]
        assert x.shape == (frames, spec.vision.dim) and np.all(x == x[0])

    moving = Composer(small_pools, spec, rule, ComposeConfig(replay_share=0, seed=1))
    assert moving.motions and all(len(m) > 1 for m in moving.motions)
    photos = [w for w in moving.compose("train", 80) if w.sources.get("vision", "").startswith("faces/")]
    base = {e.item.key: e.features[0] for e in small_pools.entries["vision"]["train"] if e.item.still}
    for w in photos:
        pose = w.features["vision"][:, V.POSE_SLICE] - base[w.sources["vision"]][V.POSE_SLICE]  # pose is never clipped
        assert np.ptp(pose, axis=0).max() > 0
        # the added motion is a forward-and-back run through one real GRID clip's pose trajectory
        assert any(
            np.allclose(pose, m[bounce_index(len(m), frames, k)][:, V.POSE_SLICE], atol=1e-5)
            for m in moving.motions
            for k in range(2 * (len(m) - 1))
        )
        fer = w.features["vision"][:, V.FER_SLICE]
        assert np.allclose(fer.sum(axis=1), 1.0, atol=1e-5) and fer.min() >= 0
        bs = w.features["vision"][:, V.BLENDSHAPE_SLICE]
        assert bs.min() >= 0 and bs.max() <= 1


@pytest.mark.data
def test_composition_is_reproducible_and_seeded(small_pools):
    spec = default_feature_spec()
    pools = small_pools
    rule = FusionRule.load()
    a = Composer(pools, spec, rule, ComposeConfig(seed=3)).compose("train", 60)
    b = Composer(pools, spec, rule, ComposeConfig(seed=3)).compose("train", 60)
    c = Composer(pools, spec, rule, ComposeConfig(seed=4)).compose("train", 60)
    assert [w.sources for w in a] == [w.sources for w in b]
    for x, y in zip(a, b):
        for m in MODALITIES:
            np.testing.assert_array_equal(x.features[m], y.features[m])
    assert [w.sources for w in a] != [w.sources for w in c]
    # a text window is a contiguous run of the transcript's tokens, at most the words that a 4 s
    # window holds at the fastest speaking rate (word midpoints inside the window)
    cfg = ComposeConfig()
    most_words = int(spec.window_s * cfg.words_per_s[1]) + 1
    checked = 0
    for w in a:
        if w.sources.get("text", "").startswith("mosi/"):
            entry = next(e for e in pools.entries["text"]["train"] if e.item.key == w.sources["text"])
            x = w.features["text"]
            start = int(np.flatnonzero((entry.features == x[0]).all(axis=1))[0])
            np.testing.assert_array_equal(x, entry.features[start : start + len(x)])
            assert len(np.unique(entry.word_index[start : start + len(x)])) <= most_words
            checked += 1
    assert checked > 0


@pytest.mark.data
@pytest.mark.slow
def test_script_builds_a_directory_that_streammsa_train_reads(shared_data: Path, tmp_path: Path):
    out = tmp_path / "v1"
    script = str(REPO / "scripts" / "build_composed_dataset.py")
    cmd = [sys.executable, script, "--data", str(shared_data), "--out", str(out), "--cache", str(tmp_path / "cache"),
           "--limit", "10", "--sizes", "train=64,valid=32,test=32", "--no-progress"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    model = tmp_path / "model.pt"
    train = [sys.executable, "-m", "streammsa", "train", "--model", "cacr", "--data", str(out), "--epochs", "1",
             "--device", "cpu", "--out", str(model), "--no-progress"]  # fmt: skip
    done = subprocess.run(train, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert model.is_file()


@pytest.mark.data
def test_script_reports_bad_arguments_in_one_line(shared_data: Path, tmp_path: Path):
    script = str(REPO / "scripts" / "build_composed_dataset.py")
    cmd = [sys.executable, script, "--data", str(shared_data), "--pools", "smell",
           "--out", str(tmp_path / "x"), "--cache", str(tmp_path / "c")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--pools" in done.stderr


@pytest.mark.data
def test_pool_selection_leaves_the_other_modalities_absent(shared_data: Path, tmp_path: Path):
    cfg = BuildConfig(
        data=shared_data,
        out=tmp_path / "av",
        cache=tmp_path / "cache",
        modalities=("audio", "vision"),
        corpora=("ravdess", "faces", "grid"),
        limit=6,
        sizes={"train": 80, "valid": 20, "test": 20},
        progress=False,
    )
    manifest = build_composed_dataset(cfg)
    assert "ravdess_statement" not in manifest["splits"]["train"]["by_kind"]
    assert "grid_real" not in manifest["splits"]["train"]["by_kind"]  # GRID's transcript is a text item
    for split in SPLITS:
        data = load_feature_split(tmp_path / "av", split)
        assert all(s.features["text"].shape[0] == 0 and math.isnan(s.modality_labels[0]) for s in data.samples)
        if split == "train":
            assert any(s.features["audio"].shape[0] and s.features["vision"].shape[0] for s in data.samples)


def _ravdess_pools(spec, labels: list[float]) -> Pools:
    """Pools of RAVDESS voices with the given labels and the two statements (features are placeholders:
    this is about which clips are drawn)."""
    rng = np.random.default_rng(0)
    pools = Pools(spec)
    for i, y in enumerate(labels):
        key = f"ravdess/03-01-05-01-0{1 + i % 2}-01-{i:02d}"
        item = PoolItem(key, "ravdess", "audio", "train", f"actor{i % 3}", y, emotion="anger" if y < 0 else "happiness")
        pools.add(PoolEntry(item, rng.normal(size=(60, spec.audio.dim)).astype(np.float32)))
    for n in (1, 2):
        item = PoolItem(f"ravdess_statement/{n}", "ravdess_statement", "text", "train", "statement", 0.0)
        pools.statements[n] = PoolEntry(item, rng.normal(size=(6, spec.text.dim)).astype(np.float32), np.arange(6))
    return pools


def test_statement_voices_are_drawn_by_polarity_so_the_sentences_are_not_learned_as_negative():
    spec = default_feature_spec()
    pools = _ravdess_pools(spec, [-2.0] * 40 + [2.0] * 5)  # RAVDESS is mostly negative
    cfg = ComposeConfig(proportions={"ravdess_statement": 1.0}, replay_share=0, seed=2)
    windows = Composer(pools, spec, FusionRule.load(), cfg).compose("train", 400)
    positive = sum(float(w.modality_labels[1]) > 0 for w in windows) / len(windows)
    assert 0.4 < positive < 0.6  # each polarity about equally often, not 5 in 45
    assert all(w.sources["text"].startswith("ravdess_statement/") for w in windows)


@pytest.mark.data
def test_scripted_sentences_are_also_neutral_text_in_other_windows(small_pools):
    spec = default_feature_spec()
    cfg = ComposeConfig(proportions={"agree": 1, "conflict": 1, "one_absent": 1}, replay_share=0, seed=5)
    windows = Composer(small_pools, spec, FusionRule.load(), cfg).compose("train", 400)
    scripted = [w for w in windows if w.sources.get("text", "").startswith(("ravdess_statement/", "grid/"))]
    assert len(scripted) >= 5
    assert {w.kind for w in scripted} >= {"agree", "one_absent"}
    assert all(w.modality_labels[0] == 0.0 for w in scripted)


@pytest.mark.data
def test_replay_windows_show_a_stream_start_and_words_not_yet_in(small_pools):
    spec = default_feature_spec()
    full = {m: round(spec.window_s * spec[m].rate_hz) for m in ("audio", "vision")}
    windows = Composer(small_pools, spec, FusionRule.load(), ComposeConfig(replay_share=0.5, seed=7)).compose(
        "train", 300
    )
    by = {k: [w for w in windows if w.replay == k] for k in ("", "start", "late_text")}
    assert 0.35 < 1 - len(by[""]) / len(windows) < 0.65
    assert by["start"] and by["late_text"]
    for w in by["start"]:  # every modality holds only a part of the window
        assert all(len(w.features[m]) < full[m] for m in ("audio", "vision"))
    assert any(0 < len(w.features["audio"]) < 0.9 * full["audio"] for w in by["start"])
    gone = [w for w in by["late_text"] if "text" not in w.sources]
    assert gone and all(np.isnan(w.modality_labels[0]) and len(w.features["text"]) == 0 for w in gone)


@pytest.mark.data
def test_label_confidence_reaches_the_batch_as_loss_weights(built):
    out, _ = built
    data = load_feature_split(out, "train")
    weights = np.stack([s.modality_weights for s in data.samples])
    for s, w in zip(data.samples, weights):
        assert np.array_equal(np.isnan(w), np.isnan(s.modality_labels))  # a weight exactly where a label is
    assert np.nanmin(weights) < 1.0 and np.nanmax(weights) <= 1.0 and np.nanmin(weights) > 0
    batch = collate([data[i] for i in range(len(data))])
    assert batch.label_weights is not None and batch.label_weights.shape == (len(data), 3)
