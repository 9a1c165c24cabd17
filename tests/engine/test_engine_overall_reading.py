"""The overall reading: the model's reading combined with the modality readings as shown (engine/overall_reading.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa.engine import overall_reading
from streammsa.engine.overall_reading import MODEL_ONLY, OverallReading, fit, window_terms
from streammsa.engine.readings import build_reading
from streammsa.errors import UsageError
from streammsa.models.io import ModelOutput

# the shipped CACR fit's order of magnitude (models/cacr_monitor.md): the model's reading and every modality count
FITTED = OverallReading(model=0.4, weights={"text": 0.3, "audio": 0.45, "vision": 0.2}, fitted_on="test")


def demo_window(model_reading: float, text: float, voice: float, face: float | None) -> ModelOutput:
    """One window whose model reading is ``model_reading`` and whose heads read the three modalities."""
    return ModelOutput(
        intensity=torch.tensor([model_reading]),
        modality_intensity=torch.tensor([[text, voice, 0.0 if face is None else face]]),
        conflict=torch.zeros(1, 3),
        weight=torch.ones(1, 3),
        present=torch.tensor([[True, True, face is not None]]),
    )


def reading(out: ModelOutput, overall: OverallReading = MODEL_ONLY, confidence=None):
    return build_reading(out, 0, stream="s", seq=0, t_start=0.0, t_end=4.0, transcript="", latency_ms=0.0,
                         model="cacr", trained=True, confidence=confidence, overall=overall)  # fmt: skip


def test_without_a_fit_the_overall_reading_is_the_models_own():
    r = reading(demo_window(0.3, -1.5, -0.8, 0.0))
    assert r.intensity == pytest.approx(0.3) and r.model_intensity == pytest.approx(0.3)


def test_negative_words_and_voice_read_negative_overall_where_the_model_reads_positive():
    # the demo clip's "I am worried we will miss the deadline again": words -1.5, voice -0.8, face 0, model +0.3
    r = reading(demo_window(0.3, -1.5, -0.8, 0.0), FITTED)
    assert r.intensity < -0.5
    assert r.model_intensity == pytest.approx(0.3)  # the model's own reading stays there as a diagnostic
    positive = reading(demo_window(0.6, 1.8, 0.7, 0.0), FITTED)
    assert positive.intensity > 0.5


def test_a_modality_without_evidence_adds_nothing_and_a_weak_one_adds_little():
    full = reading(demo_window(0.0, -2.0, 0.0, None), FITTED, {"text": 1.0, "audio": 1.0})
    weak = reading(demo_window(0.0, -2.0, 0.0, None), FITTED, {"text": 0.2, "audio": 1.0})
    none = reading(demo_window(0.0, -2.0, 0.0, None), FITTED, {"text": 0.0, "audio": 1.0})
    assert full.intensity == pytest.approx(-0.6) and weak.intensity == pytest.approx(-0.12)
    assert none.intensity == 0.0
    # an absent face adds nothing, whatever its head would have read
    assert reading(demo_window(0.0, 0.0, 0.0, None), FITTED).intensity == 0.0


def test_the_overall_reading_stays_on_the_intensity_scale():
    assert reading(demo_window(3.0, 3.0, 3.0, 3.0), OverallReading(1.0, {"text": 1.0, "audio": 1.0, "vision": 1.0}))\
        .intensity == 3.0  # fmt: skip


def test_fit_recovers_the_weights_the_labels_were_made_with():
    rng = np.random.default_rng(0)
    n = 4000
    model = rng.uniform(-3, 3, n)
    readings = rng.uniform(-3, 3, (n, 3))
    present = rng.random((n, 3)) > 0.2
    conf = np.where(rng.random((n, 3)) > 0.5, np.nan, rng.uniform(0, 1, (n, 3)))  # NaN: unknown, counts as 1
    r, c = window_terms(readings, present, conf)
    labels = 0.5 * model + 0.8 * c[:, 0] * r[:, 0] + 0.3 * c[:, 1] * r[:, 1] + rng.normal(0, 0.05, n)
    got = fit(model, r, c, labels, "synthetic")
    assert got.model == pytest.approx(0.5, abs=0.01)
    assert got.weights["text"] == pytest.approx(0.8, abs=0.01) and got.weights["audio"] == pytest.approx(0.3, abs=0.01)
    assert got.weights["vision"] == pytest.approx(0.0, abs=0.01)
    # the vectorised form is the per-window one
    i = int(np.argmax(present.all(axis=1)))
    shown = {m: (float(readings[i, j]), None if np.isnan(conf[i, j]) else float(conf[i, j]))
             for j, m in enumerate(("text", "audio", "vision"))}  # fmt: skip
    assert got.combine(float(model[i]), shown) == pytest.approx(float(got.combine_all(model[i : i + 1], r[i : i + 1],
                                                                                     c[i : i + 1])[0]))  # fmt: skip


def test_a_checkpoint_carries_its_fit_and_a_malformed_one_is_one_line():
    meta = {"alerts": {"overall": FITTED.to_record()}}
    assert overall_reading.of_checkpoint(meta) == FITTED
    assert overall_reading.of_checkpoint({}) is MODEL_ONLY
    with pytest.raises(UsageError, match="recalibrate with scripts/calibrate_alerts.py"):
        overall_reading.of_checkpoint({"alerts": {"overall": {"model": 1.0, "weights": {"text": 1.0}}}})


def test_a_fit_records_what_each_reading_was_read_by_and_names_a_run_that_shows_another():
    """The weights fit one reading's scale (the face reader reads anger near -0.5, the face head near -1.4): a run
    that shows another reading than the fit read is named, so the monitor can say so; fits without the record
    (before session 12) name nothing."""
    rng = np.random.default_rng(0)
    r, c = rng.normal(size=(50, 3)), np.ones((50, 3))
    readers = {"text": "reader", "audio": "reader", "vision": "reader"}  # the monitor's default: every reader shown
    fitted = fit(rng.normal(size=50), r, c, rng.normal(size=50), "test", shown=readers)
    stored = overall_reading.of_checkpoint({"alerts": {"overall": fitted.to_record()}})
    assert stored == fitted and stored.shown == readers
    assert stored.shown_otherwise(readers) == []
    assert stored.shown_otherwise({**readers, "vision": "head"}) == ["vision"]
    assert FITTED.shown is None and FITTED.shown_otherwise({**readers, "vision": "head"}) == []
