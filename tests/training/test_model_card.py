"""The model card says how the monitor's overall reading is made from the checkpoint it describes."""

from __future__ import annotations

from streammsa.engine import overall_reading
from streammsa.models.checkpoint import read_checkpoint
from streammsa.paths import REPO_ROOT
from streammsa.training.evaluation.model_card import overall_table


def test_the_card_prints_the_overall_reading_fit_and_its_scores_beside_the_model_alone():
    alerts = read_checkpoint(REPO_ROOT / "models" / "cacr_monitor.pt")["alerts"]
    fit = overall_reading.of_checkpoint({"alerts": alerts})
    table = "\n".join(overall_table(alerts["overall"]))
    assert f"{fit.model:.3f} x this model's reading" in table and f"{fit.weights['text']:.3f} c_text r_text" in table
    rows = [line for line in table.splitlines() if line.startswith(("| valid", "| test"))]
    assert len(rows) == 4  # each split: the model alone, and the overall reading shown
    test = alerts["overall"]["test"]
    # the shipped fit was kept because it reads the held-out windows better than the model alone
    assert test["overall"]["MAE"] < test["model"]["MAE"] and test["overall"]["Corr"] > test["model"]["Corr"]
