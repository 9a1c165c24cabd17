"""MMSA pickles and the project feature format load into the same Dataset/collate API."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from support.training_data import DIMS, mmsa_split, synthetic_samples, write_feature_dir, write_mmsa_pickle

from streammsa import MODALITIES
from streammsa.errors import InputError
from streammsa.training.dataset import collate, load_split, normalised_spec
from streammsa.training.feature_data import load_feature_split


def test_mmsa_pickle_lengths_become_masks(tmp_path):
    path = write_mmsa_pickle(tmp_path / "unaligned.pkl", n=12)
    ds = load_split(path, "train")
    raw = mmsa_split(12, 1)
    assert len(ds) == 12 and ds.dims == DIMS
    for i in range(12):
        s = ds.samples[i]
        assert len(s.features["audio"]) == raw["audio_lengths"][i]
        assert len(s.features["vision"]) == raw["vision_lengths"][i]
        assert len(s.features["text"]) == raw["text_bert"][i, 1].sum()  # text mask = attention row
        np.testing.assert_array_equal(s.features["audio"], raw["audio"][i, : raw["audio_lengths"][i]])
    assert ds.samples[3].id == raw["id"][3]
    assert np.isnan(ds.samples[0].modality_labels).all()  # MOSI has no unimodal labels


def test_mmsa_sims_unimodal_labels_and_glove_text_without_bert(tmp_path):
    path = write_mmsa_pickle(tmp_path / "sims.pkl", n=10, bert=False, sims=True)
    ds = load_split(path, "valid")
    raw = mmsa_split(5, 2, bert=False, sims=True)
    np.testing.assert_allclose(ds.samples[2].modality_labels, [raw[f"regression_labels_{k}"][2] for k in "TAV"])
    # Without text_bert the text mask falls back to non-zero rows.
    assert len(ds.samples[2].features["text"]) == int((np.abs(raw["text"][2]).sum(1) > 0).sum())


def test_mmsa_aligned_file_shares_text_mask(tmp_path):
    split = mmsa_split(6, 1, t_text=5, t_audio=5, t_vision=5)
    del split["audio_lengths"], split["vision_lengths"]
    with open(tmp_path / "aligned.pkl", "wb") as fh:
        pickle.dump({"train": split, "valid": split, "test": split}, fh)
    ds = load_split(tmp_path / "aligned.pkl", "test")
    for i, s in enumerate(ds.samples):
        n_text = int(split["text_bert"][i, 1].sum())
        assert len(s.features["audio"]) == len(s.features["vision"]) == n_text


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["train"].pop("regression_labels"), "regression_labels"),
        (lambda d: d["train"].pop("audio"), "no 'audio'"),
        (lambda d: d["train"].pop("text"), "only BERT token ids"),
        (lambda d: d["train"].__setitem__("vision", np.zeros((3, 2, 3))), "vision has 3 samples"),
        (lambda d: d.pop("train"), "no 'train' split"),
    ],
)
def test_mmsa_bad_files_give_one_line_input_errors(tmp_path, mutate, message):
    data = {s: mmsa_split(8, k) for k, s in enumerate(("train", "valid", "test"))}
    mutate(data)
    path = tmp_path / "bad.pkl"
    with open(path, "wb") as fh:
        pickle.dump(data, fh)
    with pytest.raises(InputError, match=message) as exc:
        load_split(path, "train")
    assert "\n" not in str(exc.value)


def test_mmsa_refuses_pickles_that_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    path = tmp_path / "evil.pkl"
    with open(path, "wb") as fh:
        pickle.dump({"train": Evil()}, fh)
    with pytest.raises(InputError, match="refusing to load builtins.print|not a readable"):
        load_split(path, "train")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match="not a readable MMSA pickle"):
        load_split(tmp_path / "junk.pkl", "train")


def test_feature_dir_round_trip_with_missing_modality(tmp_path):
    write_feature_dir(tmp_path / "feats", n_train=20, n_valid=10, n_test=10)
    ds = load_feature_split(tmp_path / "feats", "train")
    orig = synthetic_samples(20, 1, missing_every=5)
    assert [s.id for s in ds.samples] == [s.id for s in orig]
    for a, b in zip(ds.samples, orig):
        for m in MODALITIES:
            np.testing.assert_array_equal(a.features[m], b.features[m])
        assert a.label == pytest.approx(b.label) and a.emotion == b.emotion and a.speaker == b.speaker
    assert len(ds.samples[0].features["vision"]) == 0


def test_collate_pads_and_marks_absent_modality(tmp_path):
    write_feature_dir(tmp_path / "feats", n_train=20, n_valid=10, n_test=10)
    ds = load_feature_split(tmp_path / "feats", "train")
    items = [ds[i] for i in range(5)]
    batch = collate(items)
    for m in MODALITIES:
        lengths = [len(s.features[m]) for s in items]
        assert batch.features[m].shape == (5, max(1, max(lengths)), DIMS[m])
        assert batch.mask[m].sum(1).tolist() == lengths
        # Padding stays zero and is masked out.
        assert torch.all(batch.features[m][~batch.mask[m]] == 0)
    assert batch.present[:, 2].tolist() == [False, True, True, True, True]  # sample 0 has no vision
    assert batch.labels.shape == (5,) and batch.modality_labels.shape == (5, 3)


def test_normalisation_uses_train_statistics(tmp_path):
    write_feature_dir(tmp_path / "feats", n_train=40, n_valid=10, n_test=10)
    train = load_feature_split(tmp_path / "feats", "train")
    spec = normalised_spec(train)
    norm = train.with_spec(spec)
    steps = np.concatenate([norm[i].features["audio"] for i in range(len(norm))])
    np.testing.assert_allclose(steps.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(steps.std(0), 1, atol=1e-4)


def test_feature_dir_errors(tmp_path):
    with pytest.raises(InputError, match="spec.json"):
        load_split(tmp_path, "train")
    write_feature_dir(tmp_path / "f", n_train=4, n_valid=2, n_test=2)
    (tmp_path / "f" / "test.npz").unlink()
    with pytest.raises(InputError, match="has splits: train, valid"):
        load_split(tmp_path / "f", "test")
    with pytest.raises(InputError, match="unknown split"):
        load_split(tmp_path / "f", "dev")
    with pytest.raises(InputError, match="data not found"):
        load_split(tmp_path / "nothing", "train")
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="unsupported data"):
        load_split(tmp_path / "data.csv", "train")
