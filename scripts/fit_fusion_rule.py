#!/usr/bin/env python
"""Fit the fusion rule on real human judgments and write streammsa/training/fusion_rule.json.

    .venv/bin/python scripts/fit_fusion_rule.py --seed 0            # fit, select, write the JSON, print the report
    .venv/bin/python scripts/fit_fusion_rule.py --check             # re-fit and compare with the stored JSON only

Sources (read-only, from ../shared/data or $STREAMMSA_SHARED_DATA):
* CH-SIMS v2 ``labels.csv``: overall label vs separately annotated label_T/A/V. Candidates are fitted
  on ``train``, the rule is selected by ``valid`` MAE, and ``test`` is only reported.
* CREMA-D ``tabulatedVotes.csv``: audio-visual votes vs voice-only and face-only votes, each turned
  into an expected valence through streammsa.training.labels. There is no text channel, so CREMA-D
  checks how the selected rule transfers, and an audio/vision-only re-fit on an actor-disjoint split
  shows which weights CREMA-D's raters imply.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from streammsa.errors import InputError  # noqa: E402
from streammsa.training import labels  # noqa: E402
from streammsa.training.fusion_rule import (  # noqa: E402
    DEFAULT_PATH,
    FITTED_FORMS,
    FusionRule,
    baseline,
    fit_rule,
    polarity_subsets,
    score,
)

COMMAND = "python scripts/fit_fusion_rule.py --seed {seed}"
NEUTRAL_BAND = 1.0
"""|valence| below this counts as neutral when comparing categories: the midpoint between neutral (0)
and a normal-level emotion (|2|) under labels.py's mapping."""
CREMAD_SPLIT = (0.6, 0.2, 0.2)


def default_data_root() -> Path:
    return Path(os.environ.get("STREAMMSA_SHARED_DATA", REPO.parent / "shared" / "data"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------ data


def chsims_splits(data_root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """CH-SIMS v2 per split: (N, 3) text/audio/vision labels and (N,) overall labels, on [-3, 3]."""
    rows = labels.read_chsims_v2(data_root / "chsims_v2" / "labels.csv")
    out = {}
    for mode in ("train", "valid", "test"):
        sel = [r for r in rows if r.mode == mode]
        if not sel:
            raise InputError(f"CH-SIMS v2 labels have no {mode!r} rows")
        out[mode] = (
            np.array([[r.label_t, r.label_a, r.label_v] for r in sel]),
            np.array([r.label for r in sel]),
        )
    return out


def cremad_actor_split(actors: list[int], seed: int) -> dict[int, str]:
    """Actor-disjoint train/valid/test assignment (60/20/20), seeded."""
    order = np.random.default_rng(seed).permutation(sorted(set(actors)))
    n_train = round(CREMAD_SPLIT[0] * len(order))
    n_valid = round(CREMAD_SPLIT[1] * len(order))
    split = {}
    for i, actor in enumerate(order):
        split[int(actor)] = "train" if i < n_train else "valid" if i < n_train + n_valid else "test"
    return split


def cremad_splits(data_root: Path, seed: int) -> dict[str, dict[str, np.ndarray]]:
    """CREMA-D per actor split: inputs (N, 3) with text absent (NaN), target valence, majority classes."""
    clips = labels.read_cremad_votes(data_root / "cremad")
    split = cremad_actor_split([c.info["actor"] for c in clips], seed)
    buckets: dict[str, list] = defaultdict(list)
    for c in clips:
        buckets[split[c.info["actor"]]].append(c)
    out = {}
    for mode, sel in buckets.items():
        out[mode] = {
            "x": np.array([[math.nan, c.voice.valence, c.face.valence] for c in sel]),
            "y": np.array([c.multimodal.valence for c in sel]),
            "cls_mm": np.array([_majority_class(c.multimodal.counts) for c in sel]),
            "cls_voice": np.array([_majority_class(c.voice.counts) for c in sel]),
            "cls_face": np.array([_majority_class(c.face.counts) for c in sel]),
        }
    return out


def _majority_class(counts: dict[str, int]) -> int:
    """Polarity (-1, 0, +1) of the most voted emotion; 2 when tied emotions have different polarities."""
    top = max(counts.values())
    signs = {int(np.sign(labels.intensity_for(labels.cremad_code(k)))) for k, n in counts.items() if n == top}
    return signs.pop() if len(signs) == 1 else 2


def _classes(v: np.ndarray) -> np.ndarray:
    return np.where(v >= NEUTRAL_BAND, 1, np.where(v <= -NEUTRAL_BAND, -1, 0))


# ------------------------------------------------------------------------------------ fitting


def fit_all(data_root: Path, seed: int = 0) -> dict:
    """Fit the candidates on CH-SIMS v2 train, select by valid MAE; returns the JSON record."""
    sims = chsims_splits(data_root)
    x_tr, y_tr = sims["train"]
    x_va, y_va = sims["valid"]
    candidates: dict[str, FusionRule] = {f: fit_rule(f, x_tr, y_tr, seed=seed) for f in FITTED_FORMS}
    candidates.update({f: baseline(f) for f in ("mean", "text")})
    valid = {name: score(rule.predict(x_va), y_va) for name, rule in candidates.items()}
    chosen = min(FITTED_FORMS, key=lambda f: valid[f].mae)
    chsims_csv = data_root / "chsims_v2" / "labels.csv"
    meta = {
        "fitted_on": "CH-SIMS v2 labels.csv, train split (label vs label_T/A/V, scaled x3 to [-3, 3])",
        "selected_by": "lowest MAE on the CH-SIMS v2 valid split among the fitted forms",
        "command": COMMAND.format(seed=seed),
        "seed": seed,
        "data_sha256": {"chsims_v2/labels.csv": _sha256(chsims_csv)},
        "valid": valid[chosen].as_dict(),
    }
    selected = FusionRule(**{**_fields(candidates[chosen]), "meta": meta})
    return {
        "selected": selected.to_dict(),
        "candidates": {
            name: {**_strip_meta(rule.to_dict()), "valid": valid[name].as_dict()} for name, rule in candidates.items()
        },
    }


def _fields(rule: FusionRule) -> dict:
    return {k: getattr(rule, k) for k in ("form", "weights", "intercept", "gain", "salience", "negativity")}


def _strip_meta(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "meta"}


def rules_from_record(record: dict) -> dict[str, FusionRule]:
    return {name: FusionRule.from_dict(d) for name, d in record["candidates"].items()}


# ------------------------------------------------------------------------------------ report


def _row(name: str, s) -> str:
    return f"| {name} | {s.n} | {s.mae:.3f} | {s.pearson:.3f} | {s.sign_agreement:.3f} |"


def report_chsims(record: dict, data_root: Path) -> list[str]:
    sims = chsims_splits(data_root)
    rules = rules_from_record(record)
    lines = []
    for mode in ("valid", "test"):
        x, y = sims[mode]
        for subset, mask in polarity_subsets(x).items():
            lines += [f"\nCH-SIMS v2 {mode}, {subset} clips (MAE on [-3, 3]; divide by 3 for SIMS' scale)",
                      "| rule | n | MAE | Pearson r | sign agreement |", "|---|---|---|---|---|"]
            lines += [_row(n, score(r.predict(x[mask]), y[mask])) for n, r in rules.items()]
    counts = {m: {k: int(v.sum()) for k, v in polarity_subsets(sims[m][0]).items()} for m in sims}
    lines.append("\nClips per split and subset: " + "; ".join(
        f"{m} " + ", ".join(f"{k} {n}" for k, n in c.items()) for m, c in counts.items()))
    # Is the selected rule's edge larger than resampling noise? Paired bootstrap over clips.
    chosen = record["selected"]["form"]
    lines += ["\nPaired bootstrap (2,000 resamples of clips, seed 0): MAE(selected) - MAE(other), 95 % interval",
              "| split | other | mean difference | 95 % interval |", "|---|---|---|---|"]
    for mode in ("valid", "test"):
        x, y = sims[mode]
        err_sel = np.abs(rules[chosen].predict(x) - y)
        for other in (n for n in rules if n != chosen):
            diff = err_sel - np.abs(rules[other].predict(x) - y)
            lo, hi, mid = _bootstrap_mean(diff)
            lines.append(f"| {mode} | {other} | {mid:+.3f} | [{lo:+.3f}, {hi:+.3f}] |")
    # Missing modalities: drop one at a time on test; the renormalised rule vs the mean of the others.
    x, y = sims["test"]
    lines += ["\nCH-SIMS v2 test with one modality removed (renormalised weights)",
              "| removed | rule | MAE | Pearson r | sign agreement |", "|---|---|---|---|---|"]
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
    lines = [f"\nCREMA-D test actors ({len(t['y'])} clips; actor-disjoint 60/20/20 split, seed {seed})",
             "| rule | MAE | Pearson r | sign agreement | category polarity agreement | non-neutral sign agreement |",
             "|---|---|---|---|---|---|"]
    for name, pred in rows.items():
        s = score(pred, t["y"])
        cat = float(np.mean(_classes(pred[decided]) == t["cls_mm"][decided]))
        sign = float(np.mean(np.sign(pred[nonneutral]) == t["cls_mm"][nonneutral]))
        lines.append(f"| {name} | {s.mae:.3f} | {s.pearson:.3f} | {s.sign_agreement:.3f} | {cat:.3f} | {sign:.3f} |")
    for f, r in refit.items():
        share = r.weights[1] / (r.weights[1] + r.weights[2])
        va = score(r.predict(cre["valid"]["x"]), cre["valid"]["y"])
        lines.append(f"\nCREMA-D re-fit {f}: audio share of the audio+vision weight {share:.3f}, intercept "
                     f"{r.intercept:.3f}, gain {r.gain:.3f}, salience {r.salience:.3f}, negativity {r.negativity:.3f}; "
                     f"valid MAE {va.mae:.3f}")
    s = selected.weights
    lines.append(f"Selected CH-SIMS rule: audio share of the audio+vision weight {s[1] / (s[1] + s[2]):.3f}")
    # Where voice and face polarities conflict, which one did the audio-visual raters follow?
    conflict = decided & (t["cls_voice"] != 2) & (t["cls_face"] != 2) & (t["cls_voice"] != t["cls_face"])
    follow_v = float(np.mean(t["cls_mm"][conflict] == t["cls_voice"][conflict]))
    follow_f = float(np.mean(t["cls_mm"][conflict] == t["cls_face"][conflict]))
    lines.append(f"Voice/face majority polarities conflict on {int(conflict.sum())} test clips: the audio-visual "
                 f"majority matches the voice on {follow_v:.3f}, the face on {follow_f:.3f}")
    return lines


def report_label_evidence(data_root: Path) -> list[str]:
    """Numbers that support labels.py's choices (level ordering, confidence weights)."""
    clips = labels.read_cremad_votes(data_root / "cremad")
    lines = ["\nCREMA-D: audio-visual perceived valence of the intended emotion by intended level (mean over clips)",
             "| emotion | low | medium | high | unspecified |", "|---|---|---|---|---|"]
    by = defaultdict(list)
    for c in clips:
        by[(c.info["emotion"], c.info["intensity_level"])].append(c.multimodal.valence)
    for emo in ("happiness", "anger", "disgust", "fear", "sadness"):
        cells = [np.mean(by[(emo, lv)]) for lv in ("low", "medium", "high", None)]
        lines.append(f"| {emo} | " + " | ".join(f"{v:+.2f}" for v in cells) + " |")
    lines += ["\nCREMA-D: audio-visual raters' mean intensity rating (0-1) of the emotion they chose, by intended level",
              "| emotion | low | medium | high | unspecified |", "|---|---|---|---|---|"]
    rated = defaultdict(list)
    for c in clips:
        rated[(c.info["emotion"], c.info["intensity_level"])].append(c.multimodal.mean_intensity)
    for emo in ("happiness", "anger", "disgust", "fear", "sadness"):
        cells = [np.nanmean(rated[(emo, lv)]) for lv in ("low", "medium", "high", None)]
        lines.append(f"| {emo} | " + " | ".join(f"{v:.2f}" for v in cells) + " |")
    agree = {cond: np.mean([getattr(c, cond).agreement for c in clips]) for cond in ("voice", "face", "multimodal")}
    lines.append("CREMA-D mean rater agreement (fraction choosing the majority emotion): "
                 + ", ".join(f"{k} {v:.3f}" for k, v in agree.items()))
    rec = labels.read_emodb_recognition(data_root / "emodb" / "erkennung.txt")
    stems = [p.stem for p in (data_root / "emodb" / "audio").glob("*.flac")]
    per = defaultdict(list)
    for s in stems:
        per[labels.parse_emodb(s)["emotion"]].append(rec[s].recognised)
    lines.append("EmoDB mean recognition rate of the released clips: "
                 + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in sorted(per.items())))
    return lines


def format_rule(record: dict) -> list[str]:
    lines = ["\nFitted candidates (CH-SIMS v2 train; valid scores used for selection)",
             "| rule | w_text | w_audio | w_vision | intercept | gain | salience | negativity | valid MAE | valid r |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, d in record["candidates"].items():
        w = d["weights"]
        lines.append(f"| {name} | {w['text']:.3f} | {w['audio']:.3f} | {w['vision']:.3f} | {d['intercept']:.3f} | "
                     f"{d['gain']:.3f} | {d['salience']:.3f} | {d['negativity']:.3f} | {d['valid']['mae']:.3f} | "
                     f"{d['valid']['pearson']:.3f} |")
    lines.append(f"Selected: {record['selected']['form']}")
    return lines


# ------------------------------------------------------------------------------------ main


def same_parameters(a: dict, b: dict, tol: float = 1e-3) -> bool:
    """Whether two rule records carry the same form and numbers (to ``tol``)."""
    if a["form"] != b["form"]:
        return False
    keys = ("intercept", "gain", "salience", "negativity")
    return all(abs(a[k] - b[k]) <= tol for k in keys) and all(
        abs(a["weights"][m] - b["weights"][m]) <= tol for m in a["weights"]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data_root(), help="shared data root (default ../shared/data)")
    ap.add_argument("--seed", type=int, default=0, help="seed for optimiser restarts and the CREMA-D actor split")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH, help="where to write the fitted rule JSON")
    ap.add_argument("--check", action="store_true", help="re-fit and compare with --out instead of writing it")
    ap.add_argument("--no-report", action="store_true", help="skip the test-split and CREMA-D report")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data root {args.data} not found: pass --data or set STREAMMSA_SHARED_DATA", file=sys.stderr)
        return 2
    try:
        record = fit_all(args.data, args.seed)
        if args.check:
            stored = json.loads(args.out.read_text(encoding="utf-8"))
            ok = same_parameters(stored["selected"], record["selected"])
            print(f"{args.out}: {'reproduced' if ok else 'DIFFERS from the re-fit'}")
            return 0 if ok else 1
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
        lines = format_rule(record)
        if not args.no_report:
            lines += report_chsims(record, args.data)
            lines += report_cremad(record, args.data, args.seed)
            lines += report_label_evidence(args.data)
        print("\n".join(lines))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
