"""Checkpoints written before issue #11's model changes rebuild the old model and read exactly as before.

The expected outputs were recorded once with the code of commit 5259a2e (tests/support/legacy_outputs.py
says how), on fixed windows: ragged lengths, one without a face, one without words. The CACR and DBR
monitor checkpoints of that time were retrained since (issue #10); their old files are kept here, in
``tests/models/data/legacy/``, so the compatibility of old files stays tested.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from support.legacy_outputs import CHECKPOINTS, outputs

from streammsa.models import config_from_record, make_config
from streammsa.models.cacr import CACRConfig
from streammsa.models.checkpoint import load_model, read_checkpoint
from streammsa.models.dbr import DBRConfig
from streammsa.paths import models_dir

RECORDED = json.loads((Path(__file__).parent / "data" / "legacy_checkpoint_outputs.json").read_text())
LEGACY_DIR = Path(__file__).parent / "data" / "legacy"


def legacy_file(name: str) -> Path:
    """The checkpoint as it was when the outputs were recorded: a kept copy where models/ holds a newer one."""
    kept = LEGACY_DIR / name
    return kept if kept.is_file() else models_dir() / name


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_shipped_checkpoint_gives_the_outputs_of_the_code_that_trained_it(name):
    torch.set_num_threads(1)
    model, meta = load_model(legacy_file(name))
    now = outputs(model, dict(meta["dims"]))
    assert set(now) == set(RECORDED[name])
    for field, expected in RECORDED[name].items():
        torch.testing.assert_close(torch.tensor(now[field]), torch.tensor(expected), rtol=0, atol=2e-5, msg=field)


@pytest.mark.parametrize(("name", "config_cls"), [("cacr", CACRConfig), ("dbr", DBRConfig)])
def test_keys_an_old_stored_config_lacks_mean_the_old_behaviour_and_new_models_get_the_new(name, config_cls):
    stored = read_checkpoint(legacy_file(f"{name}_monitor.pt"))["config"]
    assert not set(config_cls.LEGACY) & set(stored)  # written before those keys existed
    old = config_from_record(name, stored)
    for key, value in config_cls.LEGACY.items():
        assert getattr(old, key) == value, key
    new = make_config(name, {})
    assert all(getattr(new, key) != value for key, value in config_cls.LEGACY.items())
    # a record written now is complete, so it rebuilds exactly what was trained
    assert config_from_record(name, dataclasses.asdict(new)) == new
