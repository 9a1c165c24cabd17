"""The fusion rule fitted on CH-SIMS v2: reproducible from the data, and better than the mean of present."""

from __future__ import annotations

import json

import numpy as np
import pytest

from streammsa.datasets.fusion_rule import DEFAULT_PATH, FusionRule, baseline, polarity_subsets, score

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def fitter():
    from streammsa.datasets import fusion_fit

    return fusion_fit


@pytest.fixture(scope="module")
def script(load_script):
    return load_script("fit_fusion_rule")


@pytest.fixture(scope="module")
def refit(fitter, shared_data):
    stored = json.loads(DEFAULT_PATH.read_text())
    return stored, fitter.fit_all(shared_data, seed=stored["selected"]["meta"]["seed"])


def test_refit_with_the_stored_seed_reproduces_the_stored_json(fitter, refit, shared_data):
    stored, record = refit
    assert stored["selected"]["meta"]["data_sha256"] == record["selected"]["meta"]["data_sha256"]
    assert fitter.same_parameters(stored["selected"], record["selected"], tol=1e-4)
    for name in stored["candidates"]:
        assert fitter.same_parameters(stored["candidates"][name], record["candidates"][name], tol=1e-4), name
        assert stored["candidates"][name]["valid"] == record["candidates"][name]["valid"]


def test_fitted_rule_beats_the_mean_of_present_on_chsims_v2_valid(fitter, shared_data):
    x, y = fitter.chsims_splits(shared_data)["valid"]
    rule, mean = FusionRule.load(), baseline("mean")
    fitted, base = score(rule.predict(x), y), score(mean.predict(x), y)
    assert fitted.mae < base.mae
    assert fitted.pearson > base.pearson
    # also where the unimodal polarities disagree, the case the rule exists for
    dis = polarity_subsets(x)["disagree"]
    assert score(rule.predict(x[dis]), y[dis]).mae < score(mean.predict(x[dis]), y[dis]).mae


def test_chsims_disagreement_counts_match_the_data_readme(fitter, shared_data):
    splits = fitter.chsims_splits(shared_data)
    masks = [polarity_subsets(x) for x, _ in splits.values()]
    assert sum(int(m["disagree"].sum()) for m in masks) == 1976
    assert sum(int(m["opposite"].sum()) for m in masks) == 594


def test_cremad_actor_split_is_disjoint_and_seeded(fitter, shared_data):
    actors = list(range(1001, 1092))
    a, b = fitter.cremad_actor_split(actors, 0), fitter.cremad_actor_split(actors, 0)
    assert a == b and sorted(a) == actors
    sizes = {s: sum(v == s for v in a.values()) for s in ("train", "valid", "test")}
    assert sizes == {"train": 55, "valid": 18, "test": 18}
    data = fitter.cremad_splits(shared_data, 0)
    assert sum(len(d["y"]) for d in data.values()) == 7442
    assert np.isnan(data["test"]["x"][:, 0]).all()  # CREMA-D has no text channel


def test_script_check_mode_and_missing_data_error(script, shared_data, capsys, tmp_path):
    assert script.main(["--data", str(shared_data), "--check"]) == 0
    assert "reproduced" in capsys.readouterr().out
    assert script.main(["--data", str(tmp_path / "nowhere")]) == 2
    assert "not found" in capsys.readouterr().err
