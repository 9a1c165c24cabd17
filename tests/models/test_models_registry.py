"""The registry API the trainer and the monitor build models with."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from streammsa.errors import UsageError
from streammsa.models import MODELS, ModelOutput, MSABatch, available, build_model, make_config
from streammsa.models.cacr import CACRConfig

DIMS = {"text": 12, "audio": 7, "vision": 5}
NAMES = ["audio_only", "cacr", "dbr", "late_fusion", "text_only", "vision_only"]


def test_every_model_of_the_brief_is_registered_by_name():
    assert available() == NAMES
    assert all(dataclasses.is_dataclass(MODELS[name][1]) for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_model_keeps_name_and_config_and_rebuilds_from_a_checkpoint_record(name):
    torch.manual_seed(0)
    model = build_model(name, DIMS, {"d_model": 16, "heads": 2})
    assert model.name == name and model.config.d_model == 16
    record = {"name": model.name, "config": dataclasses.asdict(model.config), "state": model.state_dict()}
    rebuilt = build_model(record["name"], DIMS, record["config"])
    rebuilt.load_state_dict(record["state"])
    feats = {m: torch.randn(2, t, DIMS[m]) for m, t in zip(DIMS, (4, 6, 3))}
    batch = MSABatch.build(feats)
    with torch.inference_mode():
        a, b = model.eval()(batch), rebuilt.eval()(batch)
    assert isinstance(a, ModelOutput)
    torch.testing.assert_close(a.intensity, b.intensity)


def test_make_config_applies_overrides_and_turns_lists_into_tuples():
    config = make_config("cacr", {"tau": 0.3, "caw": False, "private_weights": [2, 1, 1]})
    assert isinstance(config, CACRConfig)
    assert (config.tau, config.caw, config.private_weights) == (0.3, False, (2, 1, 1))


def test_unknown_config_key_is_a_usage_error_listing_the_valid_keys():
    with pytest.raises(UsageError, match=r"unknown config key\(s\) taus .*valid keys: .*tau"):
        make_config("cacr", {"taus": 0.3})


def test_unknown_model_bad_dims_and_bad_config_are_usage_errors():
    with pytest.raises(UsageError, match="unknown model 'mult'; choose one of: audio_only, cacr"):
        build_model("mult", DIMS)
    with pytest.raises(UsageError, match="dims lacks vision"):
        build_model("cacr", {"text": 12, "audio": 7})
    with pytest.raises(UsageError, match="must be divisible by heads"):
        build_model("cacr", DIMS, {"d_model": 50, "heads": 4})
    with pytest.raises(UsageError, match="takes a CACRConfig or a dict"):
        build_model("cacr", DIMS, make_config("dbr"))


def test_config_dataclass_instance_is_used_as_given():
    config = CACRConfig(d_model=20, heads=5)
    model = build_model("cacr", DIMS, config)
    assert model.config is config
