"""Fit the fusion rule on real human judgments (CH-SIMS v2), and read the CREMA-D votes it is checked on.

* CH-SIMS v2 ``labels.csv``: overall label vs separately annotated label_T/A/V. Candidates are fitted
  on ``train``, the rule is selected by ``valid`` MAE, and ``test`` is only reported (fusion_report.py).
* CREMA-D ``tabulatedVotes.csv``: audio-visual votes vs voice-only and face-only votes, each turned
  into an expected valence through the label mapping (labels.py). There is no text channel, so
  CREMA-D checks how the selected rule transfers.

``scripts/fit_fusion_rule.py`` is the command line; the result is ``fusion_rule.json`` beside fusion_rule.py.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from streammsa.datasets import corpus_labels as C
from streammsa.datasets.fusion_rule import FITTED_FORMS, FusionRule, baseline, fit_rule, score
from streammsa.datasets.labels import intensity_for
from streammsa.errors import InputError
from streammsa.file_hash import file_sha256

COMMAND = "python scripts/fit_fusion_rule.py --seed {seed}"
CREMAD_SPLIT = (0.6, 0.2, 0.2)


def _sha256(path: Path) -> str:
    return file_sha256(path)


def chsims_splits(data_root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """CH-SIMS v2 per split: (N, 3) text/audio/vision labels and (N,) overall labels, on [-3, 3]."""
    rows = C.read_chsims_v2(data_root / "chsims_v2" / "labels.csv")
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
    clips = C.read_cremad_votes(data_root / "cremad")
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
    signs = {int(np.sign(intensity_for(C.cremad_code(k)))) for k, n in counts.items() if n == top}
    return signs.pop() if len(signs) == 1 else 2


# ---------------------------------------------------------------------------------- fitting


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


def same_parameters(a: dict, b: dict, tol: float = 1e-3) -> bool:
    """Whether two rule records carry the same form and numbers (to ``tol``)."""
    if a["form"] != b["form"]:
        return False
    keys = ("intercept", "gain", "salience", "negativity")
    return all(abs(a[k] - b[k]) <= tol for k in keys) and all(
        abs(a["weights"][m] - b["weights"][m]) <= tol for m in a["weights"]
    )
