"""A monitor checkpoint's model card, rendered ONLY from the checkpoint's metadata.

Every number in its metrics table is a value stored under ``meta["metrics"]`` (stored_evaluation.py),
so the two cannot disagree (tests/test_live_checkpoint_card.py checks it). ``scripts/model_card.py``
stores the evaluation, then writes ``models/<checkpoint stem>.md`` with ``render_card``.
"""

from __future__ import annotations

import json
from pathlib import Path

from streammsa.datasets.build import DEFAULT_OUT
from streammsa.models.checkpoint import flatten_metrics

DATASET = DEFAULT_OUT.expanduser()

# From ../shared/data/README.md (the terms column), for the corpora this model was trained on.
DATA_TERMS = [
    ("CMU-MOSI transcripts", "text", "2,199 YouTube opinion utterances, sentiment intensity [-3, 3]",
     "CMU-MOSI terms (research)"),
    ("CMU-MOSEI transcripts", "text", "22,788 YouTube utterances, sentiment intensity [-3, 3]",
     "CMU-MOSEI terms (research)"),
    ("RAVDESS speech (audio)", "audio, text (its two neutral statements)",
     "1,380 acted clips, 23 actors, 8 emotions x 2 levels",
     "CC BY-NC-SA 4.0 (Livingstone & Russo 2018): non-commercial"),
    ("Berlin EmoDB", "audio", "535 acted German clips, 10 speakers", "free for research (Burkhardt et al. 2005)"),
    ("faces (muxspace/facial_expressions subset)", "vision", "4,052 posed / news photos, 8 expressions",
     "research use only; image rights unclear"),
    ("GRID", "text, audio, vision", "11 real talking-face clips of neutral command sentences",
     "CC BY 4.0 (Cooke et al. 2006)"),
    ("CH-SIMS v2 labels", "fusion rule only", "4,403 clips' overall and per-modality human labels",
     "CH-SIMS v2 terms (research)"),
]  # fmt: skip


def render_card(state: dict, checkpoint: Path, dataset: Path = DATASET) -> str:
    """The model card, every number taken from the checkpoint's metadata (``state``)."""
    name = state["model_name"]
    m = state["metrics"]
    spec = state["feature_spec"]
    size_mb = checkpoint.stat().st_size / 1e6
    manifest_path = Path(dataset).expanduser() / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    ta = state.get("train_args", {})
    cv = state.get("code_version", {})
    L: list[str] = []
    add = L.append
    default = "default " if name == "cacr" else ""
    add(f"# Model card: `{checkpoint.name}` ({name.upper()}, the live monitor's {default}model)\n")
    how = "by default" if name == "cacr" else "with `--model dbr` (or `--checkpoint models/dbr_monitor.pt`)"
    add(
        f"`streammsa live` / `streammsa replay` load this file {how}; "
        f"readings are then marked `trained: true`. Size {size_mb:.2f} MB; "
        f"trained with streammsa {cv.get('streammsa')} "
        f"(git {cv.get('git_commit') or 'unknown'}, plus the working-tree changes of that session).\n"
    )
    add(
        "**What it is trained on, candidly:** acted emotional speech (RAVDESS, EmoDB), posed or news photos of "
        "faces with a labelled expression, and YouTube opinion transcripts (MOSI/MOSEI), combined into *composed* "
        "tri-modal 4 s windows whose text, voice and face come from different people (docs/composed-dataset.md). "
        "Only two kinds of window are real tri-modal media: a RAVDESS actor's voice with the neutral sentence they "
        "spoke (no face), and GRID's 11 neutral talking-face clips. The labels of acted/posed clips come from a "
        "mapping emotion -> intensity (docs/labels.md), not from anyone rating sentiment. See 'What this means for "
        "real meetings'.\n"
    )
    add("## Exact commands\n")
    add("```")
    add("# 1. the dataset (docs/composed-dataset.md)\n.venv/bin/python scripts/build_composed_dataset.py")
    add(
        f"# 2. training (took {state.get('training_seconds', 'n/a')} s wall on 1 CPU thread of a shared 2-core machine)"
    )
    add(state.get("train_command", "(not recorded)"))
    if "alerts" in state:
        add("# 3. alert calibration (validation split)\n" + state["alerts"]["command"])
    for k, cmd in sorted(state.get("evaluation_commands", {}).items()):
        add(f"# evaluation: {k}\n{cmd}")
    add(
        "# this card (stores the evaluation above in the checkpoint, then renders this file from it)\n"
        f"{state.get('card_command', '')}"
    )
    add("```\n")
    add("## Training\n")
    optimiser = {"adamw": "AdamW (decoupled weight decay on weight matrices)", "adam": "Adam"}.get(
        ta.get("optimizer", "adam"), ta.get("optimizer")
    )
    schedule = ta.get("schedule", "none")
    if schedule != "none":
        optimiser += f", {schedule} learning-rate schedule after {ta.get('warmup_epochs')} warm-up epoch(s)"
    if ta.get("attention_dropout") is not None:
        optimiser += f", attention-weight dropout {ta['attention_dropout']}"
    add(
        f"{optimiser}, lr {ta.get('lr')}, batch {ta.get('batch_size')}, weight decay {ta.get('weight_decay')}, "
        f"gradient clip {ta.get('grad_clip')}, "
        f"seed {ta.get('seed')}, at most {ta.get('epochs')} epochs with early stopping on validation "
        f"{ta.get('metric')} "
        f"(patience {ta.get('patience')}); best epoch {m.get('best_epoch')}. "
        f"Model config: `{json.dumps(state['config'])}`.\n"
    )
    if state.get("lr_selection"):
        sel = state["lr_selection"]
        add(
            f"**Learning rate chosen on validation**: {sel['subset']}; the lowest validation MAE chose the rate "
            f"(command: `{sel['command']}`).\n"
        )
        add("| lr | valid MAE |\n|---|---|")
        for r in sorted(sel["runs"], key=lambda r: r["lr"]):
            add(f"| {r['lr']:.0e} | {r['valid_MAE']:.4f} |")
        add("")
    add(_budget(m, state))
    if state.get("training_history"):
        add("| epoch | train loss | valid loss | valid MAE | seconds |\n|---|---|---|---|---|")
        for h in state["training_history"]:
            add(
                f"| {h['epoch']} | {h['train_loss']:.4f} | {h['valid_loss']:.4f} | {h['valid_MAE']:.4f} "
                f"| {h['seconds']:.0f} |"
            )
        add("")
    add("## Data and its terms\n")
    add("| corpus | used for | what | terms |\n|---|---|---|---|")
    for row in DATA_TERMS:
        add("| " + " | ".join(row) + " |")
    add(
        "\nThe weights are derived from these corpora: RAVDESS's CC BY-NC-SA 4.0 and the research-only terms of "
        "MOSI/MOSEI, EmoDB and the faces set make this checkpoint **research / non-commercial use only**.\n"
    )
    if manifest:
        sp = manifest["splits"]
        add(
            f"Composed windows: train {sp['train']['windows']}, valid {sp['valid']['windows']}, "
            f"test {sp['test']['windows']} "
            f"(kinds: {json.dumps(sp['train']['by_kind'])}). Splits hold out identities: MOSI/MOSEI source videos, "
            "RAVDESS actors 19-24 (test) / 15-18 (valid), EmoDB speakers, face identities, GRID speakers.\n"
        )
    L += _labels_and_features(manifest, spec)
    L += _metrics_and_alerts(m, state)
    L += LIMITS
    return "\n".join(L) + "\n"


def _budget(m: dict, state: dict) -> str:
    budget = (
        "The epoch budget was set by the CPU available (one thread per model, two models in parallel, a shared "
        "2-core machine). "
    )
    hist = state.get("training_history", [])
    if state.get("train_args", {}).get("schedule") == "cosine" and m.get("best_epoch", 0) == len(hist) > 1:
        gain = hist[-2]["valid_MAE"] - hist[-1]["valid_MAE"]
        budget += (
            f"Validation MAE was best at the last epoch ({gain:.4f} better than the one before), where the cosine "
            "schedule ended at 1 % of its peak rate: the run ended with its schedule, **not at a plateau of "
            "validation MAE**; a longer schedule may still help.\n"
        )
    elif m.get("best_epoch", 0) < len(hist) and state.get("train_args", {}).get("schedule", "none") != "none":
        budget += (
            f"Validation MAE was best at epoch {m.get('best_epoch')} of {len(hist)} and did not improve in the "
            f"later epochs while the train loss kept falling, with the {state['train_args']['schedule']} schedule "
            "lowering the learning rate: that is the validation plateau of this set-up (the saved weights are "
            f"those of epoch {m.get('best_epoch')}).\n"
        )
    elif m.get("best_epoch", 0) < len(hist):
        budget += (
            f"Validation MAE was best at epoch {m.get('best_epoch')} and worsened afterwards while the train "
            "loss kept falling: at this learning rate more epochs alone would not help; a lower learning rate, "
            "a schedule or more regularisation is untried.\n"
        )
    else:
        budget += (
            "Validation MAE was still improving at the last epoch: the model is under-trained, and more epochs "
            "should help.\n"
        )
    return budget


def _labels_and_features(manifest: dict, spec: dict) -> list[str]:
    L = ["## Label mapping and fusion rule\n"]
    L.append(
        "Per-modality labels: MOSI/MOSEI human intensity; acted/posed emotions via "
        "`streammsa.datasets.labels.intensity_for` (valence x level: e.g. RAVDESS strong anger -3, normal "
        "happiness +2, calm +0.6; GRID and the RAVDESS sentences 0); docs/labels.md gives the table and reasons."
    )
    if manifest:
        fr = manifest["fusion_rule"]
        weights = json.dumps({k: round(v, 3) for k, v in fr["weights"].items()})
        L.append(
            f"Overall label of a composed window = the fusion rule fitted on CH-SIMS v2's human judgments "
            f"(`{fr['form']}` form, weights {weights}, "
            f"gain {fr['gain']:.3f}, salience {fr['salience']:.3f}; valid MAE {fr['meta']['valid']['mae']} "
            "on CH-SIMS v2). The per-modality labels supervise the per-modality heads.\n"
        )
    L.append("## Feature specification (stored in the checkpoint; the monitor builds its extractors from it)\n")
    L.append(
        f"Window {spec['window_s']} s, hop {spec['hop_s']} s. Normalisation: per-dimension mean/std of the train "
        "split, stored in the spec.\n"
    )
    L.append("| modality | extractor | dim | rate (Hz) | params |\n|---|---|---|---|---|")
    for mod in ("text", "audio", "vision"):
        s = spec[mod]
        L.append(
            f"| {mod} | `{s['extractor']}` | {s['dim']} | {s['rate_hz'] or 'per token'} "
            f"| `{json.dumps(s.get('params', {}))}` |"
        )
    L.append("")
    return L


def _metrics_and_alerts(m: dict, state: dict) -> list[str]:
    L = ["## Metrics (every value below is stored in the checkpoint under `metrics`)\n"]
    L.append(
        "Acc2 = `Non0_acc_2` (MMSA: non-zero labels, sign agreement); MAE and Corr on the [-3, 3] scale; "
        "all computed by `streammsa.training.metrics`. `test_composed` = held-out composed windows; "
        "`test_unimodal_*` = the model with only that modality present, on held-out identities; "
        "`end_to_end_*` = the monitor itself on media files.\n"
    )
    L.append("| metric | value |\n|---|---|")
    for k, v in flatten_metrics({k: v for k, v in m.items() if k not in ("selection_metric",)}).items():
        L.append(f"| {k} | {v:.4f} |")
    L.append("")
    if "alerts" in state:
        a = state["alerts"]
        test = json.dumps({k: round(v, 3) for k, v in a["test"].items()})
        defaults = json.dumps({k: round(v, 3) for k, v in a["test_with_defaults"].items()})
        L.append("## Alert thresholds (calibrated, used by the monitor unless overridden on the command line)\n")
        L.append(
            f"Fitted on {a['fitted_on']} for a per-window false-positive rate of {a['target_window_fpr']}: "
            f"`{json.dumps(a['thresholds'])}`. Window rates on the test split with these thresholds: `{test}`; "
            f"with the hand-set defaults: `{defaults}`. "
            "An alert needs 3 (conflict) or 5 (negative) consecutive hot windows."
            + (f" The words were read by {_the(a['text_reading'])}, as in the monitor." if "text_reading" in a else "")
            + (f" The voice was read by {_the(a['voice_reading'])}." if "voice_reading" in a else "")
            + (f" The face was read by {_the(a['face_reading'])}." if "face_reading" in a else "")
            + "\n"
        )
        if "overall" in a:
            L += overall_table(a["overall"])
        if "polarity" in a:
            L += polarity_table(a["polarity"])
    return L


def overall_table(record: dict) -> list[str]:
    """How the monitor's overall reading is made from this model's reading and the modality readings, and what
    that did on the composed windows (``engine/overall_reading.py``)."""
    w = record["weights"]
    L = [
        "## The overall reading the monitor shows (`engine/overall_reading.py`, fitted on the same split)\n",
        f"y = {record['model']:.3f} x this model's reading + {w['text']:.3f} c_text r_text + {w['audio']:.3f} "
        f"c_voice r_voice + {w['vision']:.3f} c_face r_face (r: each modality's reading as shown, c: its confidence; "
        "`Reading.model_intensity` keeps this model's own reading). Scores against the composed windows' overall "
        "labels:\n",
        "| split | reading | MAE | Corr | Acc2 (non-0) | Acc7 |",
        "|---|---|---|---|---|---|",
    ]
    for split in ("valid", "test"):
        for name, label in (("model", "this model alone"), ("overall", "overall (shown)")):
            s = (record.get(split) or {}).get(name)
            if s:
                L.append(
                    f"| {split} | {label} | {s['MAE']:.3f} | {s['Corr']:.3f} | {s['Non0_acc_2']:.3f} "
                    f"| {s['Mult_acc_7']:.3f} |"
                )
    return L + [""]


def _the(reader: str) -> str:
    return reader if reader.startswith("the ") else f"the {reader}"


def polarity_table(record: dict) -> list[str]:
    """The conflict signal's polarity calibration as a reader checks it: what a reading of each modality means."""
    from streammsa.engine.polarity_calibration import PolarityCalibration

    cal = PolarityCalibration.from_record(record)
    both = [m for m, p in cal.modalities.items() if len(p.inputs) > 1]
    note = f" ({', '.join(both)}: from the reader's reading and the model's head together; here the two read the same)"
    L = [
        "Polarity calibration of the conflict signal (`engine/polarity_calibration.py`, fitted on the same split): "
        f"the probability of each polarity of a modality's label given its reading{note if both else ''}.\n",
        "| modality | P(negative \\| reading -1.5) | P(neutral \\| reading 0) | P(positive \\| reading +1.5) |",
        "|---|---|---|---|",
    ]
    for m in cal.modalities:
        L.append(
            f"| {m} | {cal.probabilities(m, -1.5)[0]:.2f} | {cal.probabilities(m, 0.0)[1]:.2f} "
            f"| {cal.probabilities(m, 1.5)[2]:.2f} |"
        )
    return L + [""]


LIMITS = [
    "## What this means for real meetings\n",
    "* Emotions here are **acted** (RAVDESS, EmoDB) and **posed** (photos); real meeting affect is subtler, mixed and "
    "mostly near neutral. Expect readings on real people to be weaker and noisier than the test numbers suggest, and "
    "the model to over-react to loud or emphatic but neutral speech if it resembles acted anger.",
    "* Most training windows are **composed**: text, voice and face from three different people. The model has "
    "learned per-modality evidence and a fusion rule, not how one person's words, voice and face co-vary. Its "
    "conflict score was trained on artificial disagreements.",
    "* The face pool is still photos with borrowed talking motion: the model has never seen an expression unfold "
    "over time. Audio was acted in a studio (RAVDESS) or a German lab (EmoDB); other microphones, rooms, languages and "
    "accents are untested.",
    "* Text is the strongest real-world signal (MOSI/MOSEI are real opinions), but ASR errors (tiny.en) feed it in "
    "the monitor.",
    "* Use readings as a coarse, relative signal over time within one meeting, not as a judgment about a person. "
    "Do not use it for decisions about people (hiring, evaluation, surveillance).",
]
