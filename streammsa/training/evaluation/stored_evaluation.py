"""A monitor checkpoint's evaluation, stored in its metadata: what its model card is rendered from.

``store_evaluation`` reads the result files of ``scripts/eval_monitor.py`` (and the training log), keeps
the card's metrics of this checkpoint's model under ``meta["metrics"]`` and the commands that made them
under ``meta["evaluation_commands"]``, and rewrites the checkpoint (weights untouched).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from streammsa.models.checkpoint import read_checkpoint, write_checkpoint_state

CARD_KEYS = ("MAE", "Non0_acc_2", "Has0_acc_2", "Non0_F1_score", "Mult_acc_7", "Corr")
CONFLICT_KEYS = ("roc_auc_conflict_score", "roc_auc_head_spread", "spearman_score_vs_magnitude")


def pick(m: dict | None) -> dict:
    return {k: m[k] for k in CARD_KEYS if m and m.get(k) is not None}


def training_seconds(log: Path) -> float | None:
    """Wall time of the training process from /usr/bin/time -v's report at the end of the log."""
    text = log.read_text(errors="replace")
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text)
    if not m:
        return None
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi) * 60 + float(s)


def store_evaluation(
    checkpoint: str | Path,
    *,
    card_command: str,
    composed: str | Path | None = None,
    unimodal: str | Path | None = None,
    replay: list[str | Path] | None = None,
    train_command: str | None = None,
    train_log: str | Path | None = None,
    lr_selection: str | Path | None = None,
) -> dict:
    """Store the result files' numbers and commands in the checkpoint's metadata; returns the new state."""
    state = read_checkpoint(checkpoint)
    name = state["model_name"]
    commands = state.setdefault("evaluation_commands", {})
    metrics = dict(state.get("metrics") or {})
    metrics["valid"] = pick(metrics.get("valid"))
    if composed:
        comp = json.loads(Path(composed).read_text())
        metrics.update(_composed_metrics(comp, name))
        commands["composed"] = comp["command"]
    if unimodal:
        uni = json.loads(Path(unimodal).read_text())
        sets = uni["sets"].items()
        metrics["test_unimodal"] = {k.replace("/", "_"): pick(v[name]["overall"]) for k, v in sets if name in v}
        metrics["baseline_vader_test"] = {k.replace("/", "_"): pick(v["vader"]) for k, v in sets if "vader" in v}
        commands["unimodal"] = uni["command"]
    for path in replay or []:
        rep = json.loads(Path(path).read_text())
        key = f"end_to_end_{rep['corpus']}_{rep['split'] or 'all'}"
        metrics[key] = _replay_metrics(rep)
        commands[key] = rep["command"]
    state["metrics"] = metrics
    state["card_command"] = card_command
    if train_command:
        state["train_command"] = train_command
    if train_log:
        secs = training_seconds(Path(train_log))
        if secs is not None:
            state["training_seconds"] = round(secs, 1)
    if lr_selection:
        # {"command": ..., "subset": ..., "runs": [{"model", "lr", "valid_MAE"}]}: how the learning rate was chosen
        sel = json.loads(Path(lr_selection).read_text())
        state["lr_selection"] = {**sel, "runs": [r for r in sel["runs"] if r["model"] == name]}
    hist = Path(str(checkpoint) + ".state")
    if hist.is_file():
        import torch

        st = torch.load(hist, map_location="cpu", weights_only=True)
        state["training_history"] = [
            {k: h[k] for k in ("epoch", "train_loss", "valid_loss", "seconds")} | {"valid_MAE": h["valid"]["MAE"]}
            for h in st["history"]
        ]
        if "training_seconds" not in state:  # no /usr/bin/time report: the epochs' own wall time
            state["training_seconds"] = round(sum(h["seconds"] for h in state["training_history"]), 1)
    write_checkpoint_state(checkpoint, state)
    return state


def _composed_metrics(comp: dict, name: str) -> dict:
    mine = next(r for r in comp["models"] if r["model"] == name)
    majority = comp["majority"]
    return {
        "test_composed": pick(mine["overall"]),
        "test_composed_by_kind": {k: pick(v) for k, v in mine["by_kind"].items()},
        "baseline_late_fusion_rule_test": pick(mine["late_fusion_rule_over_heads"]),
        "test_modality_heads": {k: pick(v) for k, v in mine["modality_heads"].items()},
        "test_conflict": {k: mine["conflict"][k] for k in CONFLICT_KEYS},
        "baseline_majority_test": pick(majority["median_constant"])
        | {"Non0_acc_2": majority["majority_sign_constant"]["Non0_acc_2"]},
    }


def _replay_metrics(rep: dict) -> dict:
    vals = {
        "clips": rep["clips"],
        "readings": rep["readings"],
        "alerts_raised": rep["alerts_raised"],
        "reading_mean": rep["neutral_like"]["mean"],
        "reading_std": rep["neutral_like"]["std"],
    }
    if rep["corpus"] == "ravdess":
        vals["roc_auc_positive_vs_negative"] = rep["roc_auc_positive_vs_negative"]
        vals["roc_auc_per_reading"] = rep["roc_auc_positive_vs_negative_per_reading"]
        vals.update({f"clip_{k}": v for k, v in pick(rep["clip_metrics"]).items()})
    return {k: v for k, v in vals.items() if v is not None}
