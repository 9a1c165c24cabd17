"""docs/monitor-results.md from the JSON files that ``scripts/eval_monitor.py`` and ``calibrate_alerts.py`` wrote.

Nothing here computes a metric: it only lays out measured numbers with the command that produced each set.
"""

from __future__ import annotations

import json
from pathlib import Path

from streammsa.engine.alerts import AlertConfig

FUSION_MODELS = ("cacr", "dbr", "late_fusion")
KEYS = ("MAE", "Non0_acc_2", "Non0_F1_score", "Mult_acc_7", "Corr")
THRESHOLDS = ("conflict_raise", "conflict_clear", "negative_raise", "negative_clear")
HEAD = "| | n | MAE | Acc2 (Non0) | F1 (Non0) | Acc7 | Corr |\n|---|---|---|---|---|---|---|"


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def row(label: str, m: dict | None, n: int | None = None) -> str:
    m = m or {}
    return f"| {label} | {n if n is not None else m.get('n', '')} | " + " | ".join(fmt(m.get(k)) for k in KEYS) + " |"


def _load(results: Path, name: str) -> dict | None:
    path = results / name
    return json.loads(path.read_text()) if path.is_file() else None


def render_results(results: Path) -> str:
    """The whole page from the result files in ``results`` (a missing file leaves its section out)."""
    comp, uni = _load(results, "composed.json"), _load(results, "unimodal.json")
    L = [
        "# Monitor checkpoints: evaluation and calibration",
        "",
        "Results of `models/cacr_monitor.pt` (the monitor's default) and `models/dbr_monitor.pt`, trained on the "
        "composed dataset (docs/composed-dataset.md) with the monitor's own extractors. Model cards: "
        "models/cacr_monitor.md, models/dbr_monitor.md "
        "(their numbers are stored in the checkpoints). All metrics: `streammsa.training.metrics` (MMSA definitions; "
        "Acc2 = Non0_acc_2); ROC AUC: scikit-learn. Test splits hold out identities (videos, actors, speakers, faces) "
        "and were used for nothing but these numbers.",
        "",
        "Regenerate this page: `.venv/bin/python scripts/monitor_results_md.py` after the commands below.",
        "",
        "Each figure here is from the run whose command is shown. The conflict signal, its polarity calibration, the "
        "alert thresholds and the overall reading are refitted more often than this page is regenerated (the "
        "end-to-end runs below take about an hour): the current ones are in the model cards (stored in the "
        'checkpoints) and docs/results.md, "Conflict signal".',
        "",
    ]
    L += summary(results, comp)
    if comp:
        L += composed_section(comp)
    if uni:
        L += unimodal_section(uni)
    L += replay_section(results)
    L += calibration_section(results)
    L += NOTES
    return "\n".join(L) + "\n"


def summary(R: Path, comp: dict | None) -> list[str]:
    """The headline numbers, each taken from the result files (sections below give the commands)."""
    out = ["## Summary", ""]
    for r in (comp or {}).get("models", []):
        o, c = r["overall"], r["conflict"]
        if r["model"] in ("cacr", "dbr"):
            signal = _load(R, f"conflict_{r['model']}.json")  # scripts/eval_conflict.py: the product's signal
            conflict = (
                f"; the model's own C_m as a conflict score (diagnostic) ROC AUC {fmt(c['roc_auc_conflict_score'])}"
            )
            if signal:
                t = signal["targets"]
                conflict = (
                    f"; conflict signal (disagreement d_m, docs/results.md) ROC AUC "
                    f"{fmt(t['composed_roc_auc']['value'])}, odd modality named in "
                    f"{fmt(t['naming_accuracy']['value'])}{conflict}"
                )
        else:
            conflict = " (baseline)"
        out.append(
            f"* {r['model'].upper()}, held-out composed windows: MAE {fmt(o['MAE'])}, "
            f"Acc2 {fmt(o['Non0_acc_2'])}, Corr {fmt(o['Corr'])}{conflict}."
        )
    for name in ("cacr", "dbr"):
        rep = _load(R, f"replay_ravdess_{name}.json")
        if rep:
            out.append(
                f"* {name.upper()} end to end on the {rep['clips']} RAVDESS clips of held-out actors "
                "(audio + ASR transcript): ROC AUC positive vs negative emotions "
                f"{fmt(rep['roc_auc_positive_vs_negative'])} per clip."
            )
        rep = _load(R, f"replay_grid_{name}.json")
        if rep:
            nl = rep["neutral_like"]
            out.append(
                f"* {name.upper()} on the {rep['clips']} GRID clips (real neutral talking faces): readings "
                f"mean {fmt(nl['mean'])}, std {fmt(nl['std'])}; {rep['alerts_raised']} alerts."
            )
        c = _load(R, f"alerts_{name}.json") or _load(R, f"calib_{name}.json")
        if c:
            out.append(
                f"* {name.upper()} calibrated alert thresholds (validation split, 5 % window false positives): "
                f"`{json.dumps(c['thresholds'])}`."
            )
    return out + [""]


def composed_section(comp: dict) -> list[str]:
    models = comp["models"]
    L = ["## 1. Tri-modal: held-out composed windows (test split, 3,000 windows)", "", f"`{comp['command']}`", "", HEAD]
    for r in models:
        L.append(row(r["model"].upper(), r["overall"]))
    for r in (r for r in models if "late_fusion_rule_over_heads" in r and r["model"] in FUSION_MODELS):
        label = f"late fusion: fixed label rule over {r['model'].upper()}'s unimodal heads"
        L.append(row(label, r["late_fusion_rule_over_heads"]))
    mj = comp["majority"]
    L.append(row(f"constant = train median ({mj['train_median']:.3f})", mj["median_constant"]))
    L.append(row(f"constant = majority sign ({mj['majority_sign']:+.0f})", mj["majority_sign_constant"]))
    L += [
        "",
        "By window kind (MAE / Acc2 / Corr):",
        "",
        "| kind | " + " | ".join(r["model"].upper() for r in models) + " |",
        "|---|" + "---|" * len(models),
    ]
    for k in models[0]["by_kind"]:
        cells = [" / ".join(fmt(r["by_kind"][k][key]) for key in ("MAE", "Non0_acc_2", "Corr")) for r in models]
        L.append(f"| {k} (n={models[0]['by_kind'][k]['n']}) | " + " | ".join(cells) + " |")
    L += ["", "Per-modality heads against each modality's own label (windows where it is present):", "", HEAD]
    for r in models:
        if r["model"] not in FUSION_MODELS:
            continue  # a single-modality baseline has one head: its overall reading above
        for m, v in r["modality_heads"].items():
            L.append(row(f"{r['model'].upper()} {m} head", v))
    L += [
        "",
        "### Conflict detection",
        "",
        "Score = max over present modalities of the model's conflict C_m; target = the window's known cross-modal "
        "disagreement (a present modality positive and another negative, composition/test.csv); windows with >= 2 "
        "modalities.",
        "",
        "| model | windows | with conflict | ROC AUC (conflict score) "
        "| ROC AUC (spread of the model's unimodal heads) | Spearman (score vs label spread) |",
        "|---|---|---|---|---|---|",
    ]
    for r in models:
        if r["model"] not in ("cacr", "dbr"):
            continue  # baselines report conflict = 0 (no shared space to measure it in)
        c = r["conflict"]
        L.append(
            f"| {r['model'].upper()} | {c['windows']} | {c['positives']} | {fmt(c['roc_auc_conflict_score'])} "
            f"| {fmt(c['roc_auc_head_spread'])} | {fmt(c['spearman_score_vs_magnitude'])} |"
        )
    L.append("")
    return L


def unimodal_section(uni: dict) -> list[str]:
    L = [
        "## 2. Each modality alone, held-out identities",
        "",
        f"`{uni['command']}`",
        "",
        "Each test-split item laid out as one live window (text span, audio crop, photo with talking motion), the "
        "other two modalities absent; the model's overall reading against the item's label. MOSI/MOSEI = their "
        "standard test splits (text). VADER = compound x 3 on the full transcript. 'constant 0' = MAE of always "
        "answering 0 (the neutral reading).",
        "",
        HEAD,
    ]
    for name, s in uni["sets"].items():
        modality = name.split("/")[0]
        for model in [k for k in s if k not in ("n", "groups", "vader", "constant_0", "fer_happy")]:
            if model.endswith("_only") and model != f"{modality}_only":
                continue  # a text-only network fed audio reads nothing
            if model in s:
                L.append(row(f"{name} ({s['groups']} identities): {model.upper()}", s[model]["overall"]))
        if "vader" in s:
            L.append(row(f"{name}: VADER", s["vader"]))
        if s.get("fer_happy", {}).get("AUROC") is not None:  # ranks only: no intensity to score
            L.append(f"| {name}: the expression classifier's happy probability (polarity ROC AUC "
                     f"{s['fer_happy']['AUROC']:.3f}) | {s['n']} | | | | | |")  # fmt: skip
        L.append(f"| {name}: constant 0 | {s['n']} | {fmt(s['constant_0']['MAE'])} | | | | |")
    L.append("")
    return L


def replay_section(R: Path) -> list[str]:
    L = ["## 3. End to end through the monitor (`streammsa replay --fast` path)", ""]
    for f in sorted(R.glob("replay_*.json")):
        rep = json.loads(f.read_text())
        nl = rep["neutral_like"]
        L += [
            f"### {rep['corpus'].upper()} {rep['split'] or 'all clips'}, {Path(rep['checkpoint']).name}",
            "",
            f"`{rep['command']}`",
            "",
            f"{rep['clips']} clips, {rep['readings']} readings (all trained: {rep['all_trained']}), "
            f"{rep['alerts_raised']} alerts raised "
            f"with thresholds {json.dumps(rep['alerts'])}; wall {rep['wall_s']} s. Readings: mean {fmt(nl['mean'])}, "
            f"std {fmt(nl['std'])}, 95th percentile of |reading| {fmt(nl['abs_p95'])}.",
            "",
        ]
        if rep["corpus"] == "ravdess":
            cm = rep["clip_metrics"]
            L += [
                f"ROC AUC positive ({rep['positive_clips']} clips: happy, calm) vs negative "
                f"({rep['negative_clips']} clips) emotions: "
                f"**{fmt(rep['roc_auc_positive_vs_negative'])}** per clip (mean reading), "
                f"{fmt(rep['roc_auc_positive_vs_negative_per_reading'])} per reading. "
                f"Clip-level metrics vs the mapped label: MAE {fmt(cm['MAE'])}, Acc2 {fmt(cm['Non0_acc_2'])}, "
                f"Corr {fmt(cm['Corr'])}.",
                "",
                "| emotion | mean reading |",
                "|---|---|",
            ]
            L += [f"| {e} | {fmt(v)} |" for e, v in rep["mean_reading_by_emotion"].items()]
            L.append("")
        else:
            L += [
                "| clip | speaker split | mean reading | alerts | ASR transcript (tiny.en) |",
                "|---|---|---|---|---|",
            ]
            L += [
                f"| {c['clip']} | {c['split']} | {fmt(c['mean_reading'])} | {c['alerts_raised']} | {c['transcript']} |"
                for c in rep["per_clip"]
            ]
            L.append("")
    return L


def calibration_section(R: Path) -> list[str]:
    L = ["## 4. Alert calibration", ""]
    for name in ("cacr", "dbr"):
        c = _load(R, f"alerts_{name}.json") or _load(R, f"calib_{name}.json")
        if not c:
            continue
        L += [
            f"### {name.upper()}",
            "",
            f"`{c['command']}`",
            "",
            f"Fitted on {c['fitted_on']}, target per-window false-positive rate {c['target_window_fpr']}.",
            "",
            "| | conflict_raise | conflict_clear | negative_raise | negative_clear |",
            "|---|---|---|---|---|",
            "| calibrated (stored in the checkpoint, used by default) | "
            + " | ".join(fmt(c["thresholds"][k]) for k in THRESHOLDS)
            + " |",
            "| hand-set defaults (AlertConfig) | "
            + " | ".join(fmt(getattr(AlertConfig(), k)) for k in THRESHOLDS)
            + " |",
            "",
            "| window rates | conflict FPR | conflict TPR | negative FPR | negative TPR |",
            "|---|---|---|---|---|",
        ]
        for label, key in (
            ("valid, calibrated", "valid"),
            ("test, calibrated", "test"),
            ("test, defaults", "test_with_defaults"),
        ):
            v = c[key]
            L.append(
                f"| {label} | {fmt(v['conflict_window_fpr'])} | {fmt(v['conflict_window_tpr'])} "
                f"| {fmt(v['negative_window_fpr'])} | {fmt(v['negative_window_tpr'])} |"
            )
        L += [
            "",
            "Readings on neutral input (composed windows):",
            "",
            "| split | windows | n | mean | std | 95th pct of abs |",
            "|---|---|---|---|---|---|",
        ]
        for sp, d in c.get("neutral_readings", {}).items():
            for w, v in d.items():
                L.append(f"| {sp} | {w} | {v['n']} | {fmt(v['mean'])} | {fmt(v['std'])} | {fmt(v['abs_p95'])} |")
        L.append("")
    return L


NOTES = [
    "## 5. Reading these numbers",
    "",
    "* The composed test windows mix three people per window and use a label rule (docs/labels.md, CH-SIMS v2 fusion "
    "rule), so tri-modal scores measure how well the model recovers that rule from held-out unimodal evidence, not "
    "agreement with human ratings of real multimodal meetings. No such labelled media exists here.",
    "* Acted (RAVDESS, EmoDB) and posed (faces) emotions are far more intense and prototypical than meeting behaviour; "
    "the end-to-end RAVDESS AUC is an upper bound on what to expect from a real voice.",
    "* GRID is the only real, neutral, tri-modal speech here (11 clips; 7 of them from train-split speakers, whose "
    "clips also appear in grid_real training windows; the table marks each clip's split).",
    "* Text weighs heavily and the ASR feeds it: a misheard word moves a reading (compare the GRID transcripts with "
    "the sentences in the file names, e.g. `swiz3n` = 'set white in z three now').",
    "* On RAVDESS the readings of every emotion, neutral and calm included, sit below zero (table above): the audio "
    "pool is 57 % negative emotions (624 of 1,091 train clips), and the clip-level ranking (AUC) is better than the "
    "absolute level (MAE).",
    "* Training was budgeted by a shared 2-core CPU (one thread per model, at most 2 epochs; the model cards give the "
    "per-epoch validation MAE): DBR was still improving at epoch 2, CACR's best epoch was 1. Neither learning rate nor "
    "schedule was tuned, so these numbers are a floor for these architectures on this data.",
    "* Baselines (LATE_FUSION, TEXT_ONLY, AUDIO_ONLY, VISION_ONLY) were trained with the models' settings: "
    "`OMP_NUM_THREADS=1 .venv/bin/streammsa -v train --model NAME --data ~/.cache/streammsa/live_dataset/v1 --seed 0 "
    "--device cpu --epochs 2 --patience 2 --batch-size 32 --lr 1e-3 --out models/NAME_monitor.pt` (no model cards: the "
    "monitor does not run them). In a composed window the three modalities come from different people, so a "
    "single-modality network can only explain its own modality's share of the label: their tri-modal rows are weak by "
    "construction, and section 2 (each on its own modality) is the fair comparison. The 'fixed label rule' rows apply "
    "the CH-SIMS v2 rule to a fusion model's own unimodal heads (late fusion without learning).",
    "",
]
