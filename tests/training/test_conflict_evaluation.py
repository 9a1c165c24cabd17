"""The conflict evaluation (issue #11) on a small composed dataset built from the real corpora: its targets
are the composition's, the signal finds known conflicts above chance, the thresholds fitted on validation
hit the stated false-alarm rate there, and the stored calibration is the one the monitor applies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from streammsa import paths
from streammsa.datasets.build import BuildConfig, build_composed_dataset, read_composition
from streammsa.datasets.labels import EMOTIONS
from streammsa.engine.alert_calibration import calibrate, conflict_signal, fit_polarity
from streammsa.engine.alerts import CONFLICT_SIGNAL, AlertConfig
from streammsa.engine.polarity_calibration import PolarityCalibration
from streammsa.models.checkpoint import read_checkpoint
from streammsa.training.evaluation.conflict import (
    HEADLINE_RULE,
    confidence,
    load_windows,
    measure,
    odd_modality,
    ravdess_statement_targets,
    reading_quality_curve,
    signal_one_label,
    speaker_relative,
    with_label_reading,
    with_noisy_label_reading,
)
from streammsa.training.evaluation.forward import load_cpu

REPO = paths.REPO_ROOT
CHECKPOINT = REPO / "models" / "cacr_monitor.pt"
SIZES = {"train": 60, "valid": 300, "test": 300}


def test_the_odd_modality_is_the_one_against_two_that_agree():
    nan = np.nan
    labels = np.array(
        [
            [2.0, -1.0, -2.0],  # text odd
            [-1.0, 1.5, -0.6],  # voice odd
            [1.0, 1.0, -3.0],  # face odd
            [2.0, 0.0, -2.0],  # the voice is neutral: nobody is odd against two that agree
            [2.0, -2.0, nan],  # two present: a pair, not an odd one
            [0.4, -0.4, 0.4],  # inside the neutral band
        ]
    )
    assert odd_modality(labels).tolist() == [0, 1, 2, -1, -1, -1]


def test_ravdess_statements_compare_emotional_voices_with_neutral_and_calm_ones():
    kind = np.array(["ravdess_statement"] * 4 + ["agree"])
    emotion = np.array([EMOTIONS.index(e) for e in ("anger", "calm", "surprise", "neutral", "anger")])
    sel, emotional = ravdess_statement_targets(kind, emotion)
    assert sel.tolist() == [True, True, False, True, False]  # surprise has no polarity; other kinds are out
    assert emotional[sel].tolist() == [True, False, False]


def test_confidence_rules_follow_the_evidence_rule_where_composed_windows_have_evidence():
    steps = np.array([[3, 75, 40], [12, 5, 0]])
    present = np.array([[True, True, True], [True, True, False]])
    ev = confidence(steps, present, "evidence", audio_rate_hz=25.0)
    np.testing.assert_allclose(ev[0], [0.5, 1.0, 1.0])  # 3 of 6 tokens; no VAD / face track: 1
    assert ev[1, 0] == 1.0 and np.isnan(ev[1, 2])
    speech = confidence(steps, present, "speech_seconds", audio_rate_hz=25.0)
    assert speech[0, 1] == 1.0 and speech[1, 1] == 0.0  # 3 s of voice; 0.2 s is below the 0.3 s minimum
    np.testing.assert_allclose(confidence(steps, present, "presence", 25.0)[0], [1.0, 1.0, 1.0])


def test_a_voice_is_read_against_its_speakers_mean_as_the_monitor_shows_it():
    readings = np.array([-1.0, -2.0, 0.0, 1.0, 3.0, 9.0])
    present = np.array([True, True, True, True, True, False])
    rel = speaker_relative(readings, present, ["a", "a", "a", "b", "b", "b"])
    # speaker a usually reads -1, speaker b +2 (its absent window does not count and is left as it was)
    np.testing.assert_allclose(rel, [0.0, -1.0, 1.0, -1.0, 1.0, 9.0])


@pytest.fixture(scope="module")
def composed(shared_data: Path, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("conflict_eval")
    cfg = BuildConfig(
        data=shared_data, out=root / "v1", cache=root / "cache", limit=40, sizes=dict(SIZES), progress=False
    )
    build_composed_dataset(cfg)
    return root / "v1"


@pytest.fixture(scope="module")
def splits(composed: Path):
    model, meta = load_cpu(CHECKPOINT)
    return {sp: load_windows(model, meta, composed, sp) for sp in ("valid", "test")}


@pytest.mark.data
def test_windows_carry_the_compositions_targets(composed: Path, splits):
    w = splits["valid"]
    rows = {r["id"]: r for r in read_composition(composed / "composition" / "valid.csv")}
    assert len(w.out["label"]) == SIZES["valid"] == len(rows)
    assert int(w.out["conflict_flag"].sum()) == sum(r["conflict"] == "1" for r in rows.values())
    statements = w.out["kind"] == "ravdess_statement"
    assert statements.any() and (w.emotion[statements] >= 0).all()
    assert (w.steps[:, 0] == [int(r["text_steps"]) for r in rows.values()]).all()


@pytest.mark.data
def test_a_composed_voice_counts_by_its_speakers_typicality_as_in_the_monitor(composed: Path):
    from streammsa.models.voice_reader import load_voice_reader

    model, meta = load_cpu(CHECKPOINT)
    w = load_windows(model, meta, composed, "valid", voice_reader=load_voice_reader())
    rows = {r["id"]: r for r in read_composition(composed / "composition" / "valid.csv")}
    speakers = np.asarray([r["audio_group"] for r in rows.values()])
    voiced = np.asarray(w.out["present"])[:, 1] & np.isfinite(w.voice_typicality)
    assert voiced.sum() > 50
    t = w.voice_typicality[voiced]
    assert ((0.1 <= t) & (t <= 1.0)).all() and t.max() > 0.5  # held-out actors of the reader's corpora sound familiar
    for s in set(speakers[voiced].tolist()):  # one value per speaker: the mean over the monitor's windows of them
        assert np.ptp(w.voice_typicality[voiced & (speakers == s)]) == 0.0
    c = w.with_confidence(HEADLINE_RULE)["confidence"]
    np.testing.assert_allclose(c[voiced, 1], t)
    assert (w.with_confidence("presence")["confidence"][voiced, 1] == 1.0).all()


@pytest.mark.data
def test_the_signal_finds_known_conflicts_above_chance(splits):
    w = splits["valid"]
    out = w.with_confidence(HEADLINE_RULE)
    res = measure(w, out, fit_polarity(out, "valid split"))
    c = res["composed"]
    assert c["positives"] > 50 and c["n"] - c["positives"] > 50
    assert c["roc_auc"] > 0.6
    assert c["mean_score"]["conflict"] > c["mean_score"]["no_conflict"]
    assert res["naming"]["n"] > 0 and res["naming"]["accuracy"] > 1 / 3  # better than naming at random


@pytest.mark.data
def test_a_modality_read_by_its_label_alone_shows_how_far_its_reading_limits_the_signal(splits):
    w = splits["valid"]
    out = w.with_confidence(HEADLINE_RULE)
    present = np.asarray(out["present"], dtype=bool)
    voice = with_label_reading(w, out, "audio")
    np.testing.assert_array_equal(voice["modality"][present[:, 1], 1], w.modality_labels[present[:, 1], 1])
    assert (voice["confidence"][present[:, 1], 1] == 1.0).all()
    for k in ("modality", "confidence"):  # the words and the face as they were
        np.testing.assert_array_equal(voice[k][:, [0, 2]], out[k][:, [0, 2]])
    res = signal_one_label(splits["valid"], splits["test"], HEADLINE_RULE, "valid split")
    base = measure(w, out, fit_polarity(out, "valid split"))
    for j, m in enumerate(("text", "audio", "vision")):
        odd = res[m]["valid"]["naming"]["by_modality"][m]
        assert odd["n"] == base["naming"]["by_modality"][m]["n"] > 5
        # read perfectly, a modality that is the odd one out is named at least as often as read by the monitor
        assert odd["accuracy"] >= base["naming"]["by_modality"][m]["accuracy"]
    strength = base["naming"]["by_label_strength"]
    assert strength["clear"]["n"] + strength["weak"]["n"] == base["naming"]["n"]


@pytest.mark.data
def test_readings_of_known_quality_show_how_good_each_must_be_for_naming(splits):
    valid = splits["valid"]
    out = valid.with_confidence(HEADLINE_RULE)
    exact = with_label_reading(valid, out, "audio")
    np.testing.assert_array_equal(
        with_noisy_label_reading(valid, out, "audio", 0.0, np.random.default_rng(0))["modality"], exact["modality"]
    )
    noisy = with_noisy_label_reading(valid, out, "audio", 1.0, np.random.default_rng(0))
    np.testing.assert_array_equal(noisy["modality"][:, [0, 2]], out["modality"][:, [0, 2]])  # the others untouched
    assert np.abs(noisy["modality"][:, 1] - exact["modality"][:, 1]).mean() > 0.5

    # scored on the validation windows: the small test split here has no window with one modality odd
    curve = reading_quality_curve(valid, valid, HEADLINE_RULE, "valid split", noise=(0.0, 0.5, 3.0), seeds=(0,))
    shipped = measure(valid, out, fit_polarity(out, "valid split"))
    ranked = 0
    for group, points in curve.items():
        for m in ("text", "audio", "vision"):
            auc = [q["polarity_roc_auc"][m] for q in points]
            if shipped["polarity_roc_auc"][m] is None:  # the small split holds one polarity of this modality
                assert auc == [None] * 3
                continue
            ranked += m in group
            if m in group:  # a label read exactly ranks its polarity perfectly; noise makes it worse
                assert auc[0] == 1.0 and auc[0] >= auc[1] > auc[2]
            else:  # a modality outside the group is read and calibrated as the monitor does
                assert auc == [pytest.approx(shipped["polarity_roc_auc"][m])] * 3
    assert ranked >= 3  # the words and the voice alone, and with the face
    every = [q["naming"]["test"] for q in curve["text+audio+vision"]]
    assert every[0] == 1.0 and every[2] < every[1]


@pytest.mark.data
def test_thresholds_fitted_on_validation_hit_the_stated_false_alarm_rate_there(splits):
    valid, test = (splits[sp].with_confidence(HEADLINE_RULE) for sp in ("valid", "test"))
    for fpr in (0.05, 0.1):
        rec = calibrate(valid, test, fpr, fitted_on="valid split", command="")
        assert rec["valid"]["conflict_window_fpr"] <= fpr
        assert rec["signal"] == CONFLICT_SIGNAL
        t = rec["thresholds"]["conflict_raise"]
        if t > 0:  # just below the fitted threshold, more windows without a conflict would fire
            sig = conflict_signal(valid, PolarityCalibration.from_record(rec["polarity"]))
            neg = (valid["present"].sum(axis=1) >= 2) & ~valid["conflict_flag"]
            assert sig.hot(t - 1e-4)[neg].mean() > fpr


@pytest.mark.data
def test_the_cli_reports_and_the_calibration_script_stores_what_the_monitor_applies(composed: Path, tmp_path: Path):
    out = tmp_path / "conflict.json"
    cmd = [sys.executable, str(REPO / "scripts" / "eval_conflict.py"), "--checkpoint", str(CHECKPOINT)]
    run = subprocess.run(
        cmd + ["--data", str(composed), "--json-out", str(out)], capture_output=True, text=True, cwd=REPO
    )
    assert run.returncode == 0, run.stderr
    res = json.loads(out.read_text())
    assert "composed ROC AUC" in run.stdout and res["alerts"]["signal"] == CONFLICT_SIGNAL
    assert res["signal"][HEADLINE_RULE]["test"]["composed"]["n"] > 0
    # store into a copy: the committed checkpoint is never written by tests
    ckpt = tmp_path / "cacr.pt"
    shutil.copy(CHECKPOINT, ckpt)
    script = str(REPO / "scripts" / "calibrate_alerts.py")
    run = subprocess.run(
        [sys.executable, script, "--checkpoint", str(ckpt), "--data", str(composed)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
    stored = read_checkpoint(ckpt)["alerts"]
    assert stored["thresholds"] == res["alerts"]["thresholds"]  # one fit, two commands
    assert stored["polarity"] == res["alerts"]["polarity"]
    cfg = AlertConfig.from_calibration(stored)
    assert cfg.conflict_raise == stored["thresholds"]["conflict_raise"] != AlertConfig().conflict_raise
