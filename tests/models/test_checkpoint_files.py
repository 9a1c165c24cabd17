"""A checkpoint rebuilds the same model (real registry models) with its spec, metrics and version."""

from __future__ import annotations

import pytest
import torch
from support.training_data import synthetic_samples, synthetic_spec

from streammsa.errors import InputError
from streammsa.models import build_model
from streammsa.models.checkpoint import load_model, read_checkpoint, save_checkpoint
from streammsa.training.dataset import collate
from streammsa.training.feature_data import load_feature_split


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("cacr", {"d_model": 16, "heads": 2, "tau": 0.3, "caw": False}),
        ("dbr", {"d_model": 16, "heads": 2}),
        ("late_fusion", {"d_model": 16, "heads": 2}),
    ],
)
def test_saved_checkpoint_reloads_to_identical_outputs(tmp_path, name, overrides):
    spec = synthetic_spec()
    torch.manual_seed(0)
    model = build_model(name, spec.dims, overrides).eval()
    batch = collate(synthetic_samples(6, 4, missing_every=3))
    with torch.no_grad():
        before = model(batch)
    path = save_checkpoint(tmp_path / "ck.pt", model, spec, metrics={"valid": {"MAE": 0.5}}, train_args={"epochs": 3})
    torch.manual_seed(123)  # a different init must be overwritten by the stored weights
    again, meta = load_model(path, "cpu")
    with torch.no_grad():
        after = again(batch)
    assert torch.equal(before.intensity, after.intensity)
    assert torch.equal(before.modality_intensity, after.modality_intensity)
    assert torch.equal(before.conflict, after.conflict)
    assert meta["model_name"] == name and again.config == model.config
    assert meta["spec"] == spec and meta["metrics"]["valid"]["MAE"] == 0.5
    assert meta["train_args"] == {"epochs": 3}
    assert set(meta["code_version"]) == {"streammsa", "git_commit"}


def test_bad_checkpoints_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_model(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(InputError, match="not a readable"):
        read_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a streammsa checkpoint"):
        read_checkpoint(tmp_path / "other.pt")


def test_feature_dir_spec_survives_into_checkpoint(tmp_path):
    from support.training_data import write_feature_dir

    write_feature_dir(tmp_path / "f", n_train=8, n_valid=4, n_test=4)
    ds = load_feature_split(tmp_path / "f", "train")
    model = build_model("text_only", ds.dims, {"d_model": 8, "heads": 2})
    path = save_checkpoint(tmp_path / "t.pt", model, ds.spec)
    _, meta = load_model(path)
    assert meta["spec"].compatible_with(ds.spec) == []
