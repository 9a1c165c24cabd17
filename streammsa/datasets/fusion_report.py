"""The fitted fusion rule's report: CH-SIMS v2 valid/test subsets, CREMA-D transfer, and label evidence.

Prints as Markdown tables (``scripts/fit_fusion_rule.py``); docs/labels.md quotes them.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from streammsa.datasets import corpus_labels as C
from streammsa.datasets.fusion_fit import chsims_splits, cremad_splits, rules_from_record
from streammsa.datasets.fusion_rule import FITTED_FORMS, FusionRule, baseline, fit_rule, polarity_subsets, score

NEUTRAL_BAND = 1.0
"""|valence| below this counts as neutral when comparing categories: the midpoint between neutral (0)
and a normal-level emotion (|2|) under labels.py's mapping."""


def _classes(v: np.ndarray) -> np.ndarray:
    return np.where(v >= NEUTRAL_BAND, 1, np.where(v <= -NEUTRAL_BAND, -1, 0))


def _row(name: str, s) -> str:
    return f"| {name} | {s.n} | {s.mae:.3f} | {s.pearson:.3f} | {s.sign_agreement:.3f} |"


def report_chsims(record: dict, data_root: Path) -> list[str]:
    sims = chsims_splits(data_root)
    rules = rules_from_record(record)
    lines = []
    for mode in ("valid", "test"):
        x, y = sims[mode]
        for subset, mask in polarity_subsets(x).items():
            lines += [
                f"\nCH-SIMS v2 {mode}, {subset} clips (MAE on [-3, 3]; divide by 3 for SIMS' scale)",
                "| rule | n | MAE | Pearson r | sign agreement |",
                "|---|---|---|---|---|",
            ]
            lines += [_row(n, score(r.predict(x[mask]), y[mask])) for n, r in rules.items()]
    counts = {m: {k: int(v.sum()) for k, v in polarity_subsets(sims[m][0]).items()} for m in sims}
    lines.append(
        "\nClips per split and subset: "
        + "; ".join(f"{m} " + ", ".join(f"{k} {n}" for k, n in c.items()) for m, c in counts.items())
    )
    # Is the selected rule's edge larger than resampling noise? Paired bootstrap over clips.
    chosen = record["selected"]["form"]
    lines += [
        "\nPaired bootstrap (2,000 resamples of clips, seed 0): MAE(selected) - MAE(other), 95 % interval",
        "| split | other | mean difference | 95 % interval |",
        "|---|---|---|---|",
    ]
    for mode in ("valid", "test"):
        x, y = sims[mode]
        err_sel = np.abs(rules[chosen].predict(x) - y)
        for other in (n for n in rules if n != chosen):
            diff = err_sel - np.abs(rules[other].predict(x) - y)
            lo, hi, mid = _bootstrap_mean(diff)
            lines.append(f"| {mode} | {other} | {mid:+.3f} | [{lo:+.3f}, {hi:+.3f}] |")
    # Missing modalities: drop one at a time on test; the renormalised rule vs the mean of the others.
    x, y = sims["test"]
    lines += [
        "\nCH-SIMS v2 test with one modality removed (renormalised weights)",
        "| removed | rule | MAE | Pearson r | sign agreement |",
        "|---|---|---|---|---|",
    ]
    for i, m in enumerate(("text", "audio", "vision")):
        xd = x.copy()
        xd[:, i] = np.nan
        for n in (record["selected"]["form"], "mean"):
            s = score(rules[n].predict(xd), y)
            lines.append(f"| {m} | {n} | {s.mae:.3f} | {s.pearson:.3f} | {s.sign_agreement:.3f} |")
    return lines


def _bootstrap_mean(diff: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(n, len(diff)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)), float(diff.mean())


def report_cremad(record: dict, data_root: Path, seed: int) -> list[str]:
    cre = cremad_splits(data_root, seed)
    selected = FusionRule.from_dict(record["selected"])
    # Audio/vision-only re-fit: train actors, select by valid MAE, report on test actors.
    refit = {f: fit_rule(f, cre["train"]["x"], cre["train"]["y"], seed=seed) for f in FITTED_FORMS}
    best = min(refit, key=lambda f: score(refit[f].predict(cre["valid"]["x"]), cre["valid"]["y"]).mae)
    t = cre["test"]
    x_text0 = t["x"].copy()
    x_text0[:, 0] = 0.0  # CREMA-D's sentences are neutral: text present at 0 instead of absent
    voice_only, face_only = t["x"].copy(), t["x"].copy()
    voice_only[:, 2] = np.nan
    face_only[:, 1] = np.nan
    rows = {
        "selected CH-SIMS rule, text absent": selected.predict(t["x"]),
        "selected CH-SIMS rule, text = 0 (neutral sentence)": selected.predict(x_text0),
        f"re-fit on CREMA-D train actors ({best})": refit[best].predict(t["x"]),
        "mean of voice and face": baseline("mean").predict(t["x"]),
        "voice only": baseline("mean").predict(voice_only),
        "face only": baseline("mean").predict(face_only),
    }
    decided = t["cls_mm"] != 2
    nonneutral = decided & (t["cls_mm"] != 0)
    lines = [
        f"\nCREMA-D test actors ({len(t['y'])} clips; actor-disjoint 60/20/20 split, seed {seed})",
        "| rule | MAE | Pearson r | sign agreement | category polarity agreement | non-neutral sign agreement |",
        "|---|---|---|---|---|---|",
    ]
    for name, pred in rows.items():
        s = score(pred, t["y"])
        cat = float(np.mean(_classes(pred[decided]) == t["cls_mm"][decided]))
        sign = float(np.mean(np.sign(pred[nonneutral]) == t["cls_mm"][nonneutral]))
        lines.append(f"| {name} | {s.mae:.3f} | {s.pearson:.3f} | {s.sign_agreement:.3f} | {cat:.3f} | {sign:.3f} |")
    for f, r in refit.items():
        share = r.weights[1] / (r.weights[1] + r.weights[2])
        va = score(r.predict(cre["valid"]["x"]), cre["valid"]["y"])
        lines.append(
            f"\nCREMA-D re-fit {f}: audio share of the audio+vision weight {share:.3f}, intercept "
            f"{r.intercept:.3f}, gain {r.gain:.3f}, salience {r.salience:.3f}, negativity {r.negativity:.3f}; "
            f"valid MAE {va.mae:.3f}"
        )
    s = selected.weights
    lines.append(f"Selected CH-SIMS rule: audio share of the audio+vision weight {s[1] / (s[1] + s[2]):.3f}")
    # Where voice and face polarities conflict, which one did the audio-visual raters follow?
    conflict = decided & (t["cls_voice"] != 2) & (t["cls_face"] != 2) & (t["cls_voice"] != t["cls_face"])
    follow_v = float(np.mean(t["cls_mm"][conflict] == t["cls_voice"][conflict]))
    follow_f = float(np.mean(t["cls_mm"][conflict] == t["cls_face"][conflict]))
    lines.append(
        f"Voice/face majority polarities conflict on {int(conflict.sum())} test clips: the audio-visual "
        f"majority matches the voice on {follow_v:.3f}, the face on {follow_f:.3f}"
    )
    return lines


def report_label_evidence(data_root: Path) -> list[str]:
    """Numbers that support labels.py's choices (level ordering, confidence weights)."""
    clips = C.read_cremad_votes(data_root / "cremad")
    lines = [
        "\nCREMA-D: audio-visual perceived valence of the intended emotion by intended level (mean over clips)",
        "| emotion | low | medium | high | unspecified |",
        "|---|---|---|---|---|",
    ]
    by = defaultdict(list)
    for c in clips:
        by[(c.info["emotion"], c.info["intensity_level"])].append(c.multimodal.valence)
    for emo in ("happiness", "anger", "disgust", "fear", "sadness"):
        cells = [np.mean(by[(emo, lv)]) for lv in ("low", "medium", "high", None)]
        lines.append(f"| {emo} | " + " | ".join(f"{v:+.2f}" for v in cells) + " |")
    lines += [
        "\nCREMA-D: audio-visual raters' mean intensity rating (0-1) of the emotion they chose, by intended level",
        "| emotion | low | medium | high | unspecified |",
        "|---|---|---|---|---|",
    ]
    rated = defaultdict(list)
    for c in clips:
        rated[(c.info["emotion"], c.info["intensity_level"])].append(c.multimodal.mean_intensity)
    for emo in ("happiness", "anger", "disgust", "fear", "sadness"):
        cells = [np.nanmean(rated[(emo, lv)]) for lv in ("low", "medium", "high", None)]
        lines.append(f"| {emo} | " + " | ".join(f"{v:.2f}" for v in cells) + " |")
    agree = {cond: np.mean([getattr(c, cond).agreement for c in clips]) for cond in ("voice", "face", "multimodal")}
    lines.append(
        "CREMA-D mean rater agreement (fraction choosing the majority emotion): "
        + ", ".join(f"{k} {v:.3f}" for k, v in agree.items())
    )
    rec = C.read_emodb_recognition(data_root / "emodb" / "erkennung.txt")
    stems = [p.stem for p in (data_root / "emodb" / "audio").glob("*.flac")]
    per = defaultdict(list)
    for s in stems:
        per[C.parse_emodb(s)["emotion"]].append(rec[s].recognised)
    lines.append(
        "EmoDB mean recognition rate of the released clips: "
        + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in sorted(per.items()))
    )
    return lines


def format_rule(record: dict) -> list[str]:
    lines = [
        "\nFitted candidates (CH-SIMS v2 train; valid scores used for selection)",
        "| rule | w_text | w_audio | w_vision | intercept | gain | salience | negativity | valid MAE | valid r |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in record["candidates"].items():
        w = d["weights"]
        lines.append(
            f"| {name} | {w['text']:.3f} | {w['audio']:.3f} | {w['vision']:.3f} | {d['intercept']:.3f} | "
            f"{d['gain']:.3f} | {d['salience']:.3f} | {d['negativity']:.3f} | {d['valid']['mae']:.3f} | "
            f"{d['valid']['pearson']:.3f} |"
        )
    lines.append(f"Selected: {record['selected']['form']}")
    return lines
