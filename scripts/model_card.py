#!/usr/bin/env python
"""Store a live checkpoint's evaluation in its metadata and write its model card from that metadata.

    .venv/bin/python scripts/model_card.py --checkpoint models/cacr_live.pt \\
        --train-command "OMP_NUM_THREADS=1 .venv/bin/streammsa train ..." --train-log /tmp/lt/cacr.log \\
        --composed results/live/composed.json --unimodal results/live/unimodal.json \\
        --replay results/live/replay_ravdess_cacr.json results/live/replay_grid_cacr.json

The card (models/<checkpoint stem>.md) is rendered ONLY from the checkpoint: every number in its
metrics table is a value stored under ``meta["metrics"]``, so the two cannot disagree
(tests/test_live_checkpoint_card.py checks it). Run after scripts/calibrate_alerts.py.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streammsa.training.checkpoint import flatten_metrics  # noqa: E402

DATASET = Path("~/.cache/streammsa/live_dataset/v1").expanduser()
CARD_KEYS = ("MAE", "Non0_acc_2", "Has0_acc_2", "Non0_F1_score", "Mult_acc_7", "Corr")

# From ../shared/data/README.md (the terms column), for the corpora this model was trained on.
DATA_TERMS = [
    ("CMU-MOSI transcripts", "text", "2,199 YouTube opinion utterances, sentiment intensity [-3, 3]", "CMU-MOSI terms (research)"),
    ("CMU-MOSEI transcripts", "text", "22,788 YouTube utterances, sentiment intensity [-3, 3]", "CMU-MOSEI terms (research)"),
    ("RAVDESS speech (audio)", "audio, text (its two neutral statements)", "1,380 acted clips, 23 actors, 8 emotions x 2 levels", "CC BY-NC-SA 4.0 (Livingstone & Russo 2018): non-commercial"),
    ("Berlin EmoDB", "audio", "535 acted German clips, 10 speakers", "free for research (Burkhardt et al. 2005)"),
    ("faces (muxspace/facial_expressions subset)", "vision", "4,052 posed / news photos, 8 expressions", "research use only; image rights unclear"),
    ("GRID", "text, audio, vision", "11 real talking-face clips of neutral command sentences", "CC BY 4.0 (Cooke et al. 2006)"),
    ("CH-SIMS v2 labels", "fusion rule only", "4,403 clips' overall and per-modality human labels", "CH-SIMS v2 terms (research)"),
]


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


def store(args: argparse.Namespace) -> dict:
    state = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    name = state["model_name"]
    metrics = dict(state.get("metrics") or {})
    metrics["valid"] = pick(metrics.get("valid"))
    if args.composed:
        comp = json.loads(Path(args.composed).read_text())
        mine = next(r for r in comp["models"] if r["model"] == name)
        metrics["test_composed"] = pick(mine["overall"])
        metrics["test_composed_by_kind"] = {k: pick(v) for k, v in mine["by_kind"].items()}
        metrics["baseline_late_fusion_rule_test"] = pick(mine["late_fusion_rule_over_heads"])
        metrics["test_modality_heads"] = {k: pick(v) for k, v in mine["modality_heads"].items()}
        metrics["test_conflict"] = {k: mine["conflict"][k] for k in ("roc_auc_conflict_score", "roc_auc_head_spread", "spearman_score_vs_magnitude")}
        metrics["baseline_majority_test"] = pick(comp["majority"]["median_constant"]) | {
            "Non0_acc_2": comp["majority"]["majority_sign_constant"]["Non0_acc_2"]}
        state.setdefault("evaluation_commands", {})["composed"] = comp["command"]
    if args.unimodal:
        uni = json.loads(Path(args.unimodal).read_text())
        metrics["test_unimodal"] = {k.replace("/", "_"): pick(v[name]["overall"]) for k, v in uni["sets"].items() if name in v}
        metrics["baseline_vader_test"] = {k.replace("/", "_"): pick(v["vader"]) for k, v in uni["sets"].items() if "vader" in v}
        state.setdefault("evaluation_commands", {})["unimodal"] = uni["command"]
    for path in args.replay or []:
        rep = json.loads(Path(path).read_text())
        key = f"end_to_end_{rep['corpus']}_{rep['split'] or 'all'}"
        vals = {"clips": rep["clips"], "readings": rep["readings"], "alerts_raised": rep["alerts_raised"],
                "reading_mean": rep["neutral_like"]["mean"], "reading_std": rep["neutral_like"]["std"]}
        if rep["corpus"] == "ravdess":
            vals["roc_auc_positive_vs_negative"] = rep["roc_auc_positive_vs_negative"]
            vals["roc_auc_per_reading"] = rep["roc_auc_positive_vs_negative_per_reading"]
            vals.update({f"clip_{k}": v for k, v in pick(rep["clip_metrics"]).items()})
        metrics[key] = {k: v for k, v in vals.items() if v is not None}
        state.setdefault("evaluation_commands", {})[key] = rep["command"]
    state["metrics"] = metrics
    state["card_command"] = "python scripts/model_card.py " + shlex.join(sys.argv[1:])
    if args.train_command:
        state["train_command"] = args.train_command
    if args.train_log:
        secs = training_seconds(Path(args.train_log))
        if secs is not None:
            state["training_seconds"] = round(secs, 1)
    hist = Path(args.checkpoint + ".state")
    if hist.is_file():
        st = torch.load(hist, map_location="cpu", weights_only=True)
        state["training_history"] = [{k: h[k] for k in ("epoch", "train_loss", "valid_loss", "seconds")} | {"valid_MAE": h["valid"]["MAE"]} for h in st["history"]]
    tmp = Path(args.checkpoint + ".tmp")
    torch.save(state, tmp)
    tmp.replace(args.checkpoint)
    return state


def render(state: dict, checkpoint: Path) -> str:
    name = state["model_name"]
    m = state["metrics"]
    spec = state["feature_spec"]
    size_mb = checkpoint.stat().st_size / 1e6
    manifest = json.loads((DATASET / "manifest.json").read_text()) if (DATASET / "manifest.json").is_file() else {}
    ta = state.get("train_args", {})
    cv = state.get("code_version", {})
    L: list[str] = []
    add = L.append
    add(f"# Model card: `{checkpoint.name}` ({name.upper()}, the live monitor's {'default ' if name == 'cacr' else ''}model)\n")
    add(f"`streammsa live` / `streammsa replay` load this file {'by default' if name == 'cacr' else 'with `--model dbr` (or `--checkpoint models/dbr_live.pt`)'}; "
        f"readings are then marked `trained: true`. Size {size_mb:.2f} MB; trained with streammsa {cv.get('streammsa')} "
        f"(git {cv.get('git_commit') or 'unknown'}, plus the working-tree changes of that session).\n")
    add("**What it is trained on, candidly:** acted emotional speech (RAVDESS, EmoDB), posed or news photos of "
        "faces with a labelled expression, and YouTube opinion transcripts (MOSI/MOSEI), combined into *composed* "
        "tri-modal 4 s windows whose text, voice and face come from different people (docs/live-dataset.md). "
        "Only two kinds of window are real tri-modal media: a RAVDESS actor's voice with the neutral sentence they spoke "
        "(no face), and GRID's 11 neutral talking-face clips. The labels of acted/posed clips come from a mapping "
        "emotion -> intensity (docs/labels.md), not from anyone rating sentiment. See 'What this means for real meetings'.\n")
    add("## Exact commands\n")
    add("```")
    add("# 1. the dataset (docs/live-dataset.md)\n.venv/bin/python scripts/build_live_dataset.py")
    add(f"# 2. training (took {state.get('training_seconds', 'n/a')} s wall on 1 CPU thread of a shared 2-core machine)")
    add(state.get("train_command", "(not recorded)"))
    if "alerts" in state:
        add("# 3. alert calibration (validation split)\n" + state["alerts"]["command"])
    for k, cmd in sorted(state.get("evaluation_commands", {}).items()):
        add(f"# evaluation: {k}\n{cmd}")
    add(f"# this card (stores the evaluation above in the checkpoint, then renders this file from it)\n{state.get('card_command', '')}")
    add("```\n")
    add("## Training\n")
    add(f"Adam, lr {ta.get('lr')}, batch {ta.get('batch_size')}, weight decay {ta.get('weight_decay')}, gradient clip {ta.get('grad_clip')}, "
        f"seed {ta.get('seed')}, at most {ta.get('epochs')} epochs with early stopping on validation {ta.get('metric')} "
        f"(patience {ta.get('patience')}); best epoch {m.get('best_epoch')}. Model config: `{json.dumps(state['config'])}`.\n")
    budget = ("The epoch budget was set by the CPU available (one thread per model, two models in parallel, a shared 2-core "
              "machine). ")
    if m.get("best_epoch", 0) < len(state.get("training_history", [])):
        budget += (f"Validation MAE was best at epoch {m.get('best_epoch')} and worsened afterwards while the train loss kept "
                   "falling: at this learning rate more epochs alone would not help; a lower learning rate, a schedule or more "
                   "regularisation is untried.\n")
    else:
        budget += "Validation MAE was still improving at the last epoch: the model is under-trained, and more epochs should help.\n"
    add(budget)
    if state.get("training_history"):
        add("| epoch | train loss | valid loss | valid MAE | seconds |\n|---|---|---|---|---|")
        for h in state["training_history"]:
            add(f"| {h['epoch']} | {h['train_loss']:.4f} | {h['valid_loss']:.4f} | {h['valid_MAE']:.4f} | {h['seconds']:.0f} |")
        add("")
    add("## Data and its terms\n")
    add("| corpus | used for | what | terms |\n|---|---|---|---|")
    for row in DATA_TERMS:
        add("| " + " | ".join(row) + " |")
    add("\nThe weights are derived from these corpora: RAVDESS's CC BY-NC-SA 4.0 and the research-only terms of "
        "MOSI/MOSEI, EmoDB and the faces set make this checkpoint **research / non-commercial use only**.\n")
    if manifest:
        sp = manifest["splits"]
        add(f"Composed windows: train {sp['train']['windows']}, valid {sp['valid']['windows']}, test {sp['test']['windows']} "
            f"(kinds: {json.dumps(sp['train']['by_kind'])}). Splits hold out identities: MOSI/MOSEI source videos, RAVDESS actors "
            "19-24 (test) / 15-18 (valid), EmoDB speakers, face identities, GRID speakers.\n")
    add("## Label mapping and fusion rule\n")
    add("Per-modality labels: MOSI/MOSEI human intensity; acted/posed emotions via `streammsa.training.labels.intensity_for` "
        "(valence x level: e.g. RAVDESS strong anger -3, normal happiness +2, calm +0.6; GRID and the RAVDESS sentences 0); "
        "docs/labels.md gives the table and reasons.")
    if manifest:
        fr = manifest["fusion_rule"]
        add(f"Overall label of a composed window = the fusion rule fitted on CH-SIMS v2's human judgments "
            f"(`{fr['form']}` form, weights {json.dumps({k: round(v, 3) for k, v in fr['weights'].items()})}, "
            f"gain {fr['gain']:.3f}, salience {fr['salience']:.3f}; valid MAE {fr['meta']['valid']['mae']} on CH-SIMS v2). "
            "The per-modality labels supervise the per-modality heads.\n")
    add("## Feature specification (stored in the checkpoint; the monitor builds its extractors from it)\n")
    add(f"Window {spec['window_s']} s, hop {spec['hop_s']} s. Normalisation: per-dimension mean/std of the train split, stored in the spec.\n")
    add("| modality | extractor | dim | rate (Hz) | params |\n|---|---|---|---|---|")
    for mod in ("text", "audio", "vision"):
        s = spec[mod]
        add(f"| {mod} | `{s['extractor']}` | {s['dim']} | {s['rate_hz'] or 'per token'} | `{json.dumps(s.get('params', {}))}` |")
    add("")
    add("## Metrics (every value below is stored in the checkpoint under `metrics`)\n")
    add("Acc2 = `Non0_acc_2` (MMSA: non-zero labels, sign agreement); MAE and Corr on the [-3, 3] scale; "
        "all computed by `streammsa.training.metrics`. `test_composed` = held-out composed windows; `test_unimodal_*` = the "
        "model with only that modality present, on held-out identities; `end_to_end_*` = the monitor itself on media files.\n")
    add("| metric | value |\n|---|---|")
    for k, v in flatten_metrics({k: v for k, v in m.items() if k not in ("selection_metric",)}).items():
        add(f"| {k} | {v:.4f} |")
    add("")
    if "alerts" in state:
        a = state["alerts"]
        add("## Alert thresholds (calibrated, used by the monitor unless overridden on the command line)\n")
        add(f"Fitted on {a['fitted_on']} for a per-window false-positive rate of {a['target_window_fpr']}: "
            f"`{json.dumps(a['thresholds'])}`. Window rates on the test split with these thresholds: `{json.dumps({k: round(v, 3) for k, v in a['test'].items()})}`; "
            f"with the hand-set defaults: `{json.dumps({k: round(v, 3) for k, v in a['test_with_defaults'].items()})}`. "
            "An alert needs 3 (conflict) or 5 (negative) consecutive hot windows.\n")
    add("## What this means for real meetings\n")
    add("* Emotions here are **acted** (RAVDESS, EmoDB) and **posed** (photos); real meeting affect is subtler, mixed and mostly "
        "near neutral. Expect readings on real people to be weaker and noisier than the test numbers suggest, and the model to "
        "over-react to loud or emphatic but neutral speech if it resembles acted anger.")
    add("* Most training windows are **composed**: text, voice and face from three different people. The model has learned "
        "per-modality evidence and a fusion rule, not how one person's words, voice and face co-vary. Its conflict score was "
        "trained on artificial disagreements.")
    add("* The face pool is still photos with borrowed talking motion: the model has never seen an expression unfold over time. "
        "Audio was acted in a studio (RAVDESS) or a German lab (EmoDB); other microphones, rooms, languages and accents are untested.")
    add("* Text is the strongest real-world signal (MOSI/MOSEI are real opinions), but ASR errors (tiny.en) feed it in the monitor.")
    add("* Use readings as a coarse, relative signal over time within one meeting, not as a judgment about a person. "
        "Do not use it for decisions about people (hiring, evaluation, surveillance).")
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--train-command")
    p.add_argument("--train-log")
    p.add_argument("--composed")
    p.add_argument("--unimodal")
    p.add_argument("--replay", nargs="*")
    p.add_argument("--render-only", action="store_true", help="only rewrite the card from the checkpoint")
    args = p.parse_args(argv)
    state = torch.load(args.checkpoint, map_location="cpu", weights_only=True) if args.render_only else store(args)
    ck = Path(args.checkpoint)
    card = ck.with_suffix(".md")
    card.write_text(render(state, ck))
    print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
