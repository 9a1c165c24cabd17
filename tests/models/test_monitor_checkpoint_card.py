"""Each live checkpoint's model card states the exact training command and the metrics stored in the checkpoint."""

from __future__ import annotations

import re

import pytest

from streammsa.models.checkpoint import flatten_metrics, read_checkpoint
from streammsa.paths import REPO_ROOT

REPO = REPO_ROOT


@pytest.mark.parametrize("name", ["cacr", "dbr"])
def test_card_numbers_equal_the_checkpoint_metrics(name):
    state = read_checkpoint(REPO / "models" / f"{name}_monitor.pt")
    card = (REPO / "models" / f"{name}_monitor.md").read_text()
    table = dict(re.findall(r"^\| ([A-Za-z0-9_.]+) \| (-?[0-9.]+) \|$", card, flags=re.M))
    stored = flatten_metrics(state["metrics"])
    assert len(table) >= 40  # the whole metrics section, not a sample of it
    assert set(table) == set(stored)
    for key, value in stored.items():
        assert float(table[key]) == pytest.approx(value, abs=5e-5), key


@pytest.mark.parametrize("name", ["cacr", "dbr"])
def test_card_states_the_commands_data_terms_and_limits(name):
    state = read_checkpoint(REPO / "models" / f"{name}_monitor.pt")
    card = (REPO / "models" / f"{name}_monitor.md").read_text()
    assert state["train_command"] in card
    assert state["alerts"]["command"] in card
    for cmd in state["evaluation_commands"].values():
        assert cmd in card
    assert f"took {state['training_seconds']} s" in card
    for must in ("CC BY-NC-SA 4.0", "acted", "posed", "composed", "real meetings", "minilm_tokens", "fusion rule"):
        assert must in card
