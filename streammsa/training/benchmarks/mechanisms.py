"""CACR/DBR mechanisms before and after issue #11, trained on RAVDESS and diagnosed (scripts/model_diagnostics.py).

A *variant* is a model, its config and its optimisation settings. ``old`` variants are the models and
the trainer as they were before issue #11 (``CACRConfig.legacy()``: the config every shipped checkpoint
was trained with; plain Adam at lr 5e-4, batch 32, no schedule, the RAVDESS benchmark's settings);
``new`` variants are today's defaults (AdamW lr 1e-4, weight decay 0.01, one warm-up epoch, plateau
schedule, batch 16 as DLF). Each run trains on the train split, selects the epoch by validation MAE
and diagnoses the selected model on the test split (streammsa.training.diagnostics).

Splits: the benchmark's speaker split, or k speaker-independent actor folds (``fold_scheme``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from streammsa import MODALITIES
from streammsa.models.cacr import CACRConfig
from streammsa.models.dbr import DBRConfig
from streammsa.training.benchmarks.ravdess import fold_scheme

OLD_OPTIM = {"optimizer": "adam", "lr": 5e-4, "weight_decay": 0.0, "schedule": "none", "warmup_epochs": 0.0}
NEW_OPTIM = {"optimizer": "adamw", "lr": 1e-4, "weight_decay": 0.01, "schedule": "plateau", "warmup_epochs": 1.0}


@dataclasses.dataclass(frozen=True)
class Variant:
    model: str
    overrides: dict[str, Any]
    optim: dict[str, Any]
    batch_size: int
    about: str


VARIANTS: dict[str, Variant] = {
    "cacr-old": Variant("cacr", dataclasses.asdict(CACRConfig.legacy()), OLD_OPTIM, 32, "CACR before #11"),
    "cacr-new": Variant("cacr", {}, NEW_OPTIM, 16, "CACR, today's defaults"),
    "cacr-new-old-optim": Variant("cacr", {}, OLD_OPTIM, 32, "today's CACR, old optimiser"),
    "dbr-old": Variant("dbr", dataclasses.asdict(DBRConfig.legacy()), OLD_OPTIM, 32, "DBR before #11"),
    "dbr-new": Variant("dbr", {}, NEW_OPTIM, 16, "DBR, today's defaults"),
}


def schemes(splits: str, folds: int) -> list[str]:
    """``--folds k`` (k >= 3): every actor fold; else the comma list of benchmark splits."""
    if folds:
        return [fold_scheme(i, folds) for i in range(folds)]
    return [s.strip() for s in splits.split(",") if s.strip()]


def jobs(cache: str, variants: list[str], split_schemes: list[str], seeds: list[int], **common: Any) -> list[dict]:
    out = []
    for scheme in split_schemes:
        for name in variants:
            v = VARIANTS[name]
            for seed in seeds:
                out.append(
                    {
                        "cache": cache,
                        "scheme": scheme,
                        "row": name,
                        "model": v.model,
                        "overrides": dict(v.overrides),
                        "seed": seed,
                        "batch_size": v.batch_size,
                        **v.optim,
                        "probe": False,
                        "diagnose": True,
                        **common,
                    }
                )
    return out


def _ridge_r2(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """R^2 on test of a ridge regression (lambda 10, inputs and targets standardised on train)."""
    mx, sx = x_train.mean(0), x_train.std(0) + 1e-6
    my, sy = y_train.mean(0), y_train.std(0) + 1e-6
    a = np.c_[(x_train - mx) / sx, np.ones(len(x_train))]
    w = np.linalg.solve(a.T @ a + 10.0 * np.eye(a.shape[1]), a.T @ ((y_train - my) / sy))
    yt = (y_test - my) / sy
    pred = np.c_[(x_test - mx) / sx, np.ones(len(x_test))] @ w
    return float(1.0 - ((yt - pred) ** 2).sum() / ((yt - yt.mean(0)) ** 2).sum())


def linear_predictability(cache: str, scheme: str) -> dict[str, dict[str, float]]:
    """How much of each modality's raw features the OTHER modalities predict linearly (ridge R^2).

    A reference for the H_n-dependence gap: cross-reconstruction can only gain from H_n what the other
    modalities carry about X_m. Per target: vision (the AU vector) from clip-mean audio + mean text token;
    audio frames from the clip's AUs + mean text token; the mean text token from clip-mean audio + AUs.
    Fitted on the train split; R^2 on the train split itself and on the test split.
    """
    from pathlib import Path

    from streammsa.training.benchmarks.ravdess import load_samples, make_splits

    samples, _ = load_samples(Path(cache))
    splits = make_splits(samples, scheme)

    def clip(split: str) -> dict[str, np.ndarray]:
        ss = splits[split]
        return {
            "text": np.stack([s.features["text"].mean(0) for s in ss]),
            "audio": np.stack([s.features["audio"].mean(0) for s in ss]),
            "vision": np.stack([s.features["vision"][0] for s in ss]),
        }

    def frames(split: str) -> tuple[np.ndarray, np.ndarray]:
        ss = splits[split]
        x = np.concatenate(
            [
                np.repeat(np.r_[s.features["vision"][0], s.features["text"].mean(0)][None], len(s.features["audio"]), 0)
                for s in ss
            ]
        )
        return x, np.concatenate([s.features["audio"] for s in ss])

    tr, te = clip("train"), clip("test")
    out = {}
    for target, sources in (("vision", ("audio", "text")), ("text", ("audio", "vision"))):
        xs_tr = np.concatenate([tr[s] for s in sources], axis=1)
        xs_te = np.concatenate([te[s] for s in sources], axis=1)
        out[target] = {
            "train": _ridge_r2(xs_tr, tr[target], xs_tr, tr[target]),
            "test": _ridge_r2(xs_tr, tr[target], xs_te, te[target]),
        }
    (fx, fy), (gx, gy) = frames("train"), frames("test")
    out["audio"] = {"train": _ridge_r2(fx, fy, fx, fy), "test": _ridge_r2(fx, fy, gx, gy)}
    return out


def predictability_markdown(by_scheme: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = ["| split | " + " | ".join(f"R^2 {m} (train / test)" for m in MODALITIES) + " |", "|---|---|---|---|"]
    for scheme, r in by_scheme.items():
        cells = [f"{r[m]['train']:.3f} / {r[m]['test']:.3f}" for m in MODALITIES]
        lines.append(f"| {scheme} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(values: list[float], digits: int = 3) -> str:
    v = [x for x in values if x is not None and np.isfinite(x)]
    if not v:
        return "-"
    return f"{np.mean(v):.{digits}f} +- {np.std(v):.{digits}f}" if len(v) > 1 else f"{v[0]:.{digits}f}"


def _get(d: dict, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def markdown(results: list[dict]) -> str:
    """Tables over runs (mean +- std over seeds and splits) per variant."""
    rows: dict[str, list[dict]] = {}
    for r in results:
        rows.setdefault(r["row"], []).append(r)
    names = [n for n in VARIANTS if n in rows]
    lines = [
        "| variant | runs | test MAE | Acc2 (Non0) | best epoch | "
        + " | ".join(f"H_n gap {m}" for m in MODALITIES)
        + " | "
        + " | ".join(f"H_n share {m}" for m in MODALITIES)
        + " |",
        "|---|---|---|---|---|" + "---|" * 6,
    ]
    for n in names:
        runs = rows[n]
        d = [r["diagnostics"] for r in runs]
        cells = [
            n,
            str(len(runs)),
            _cell([r["test"]["MAE"] for r in runs]),
            _cell([100 * r["test"]["Non0_acc_2"] for r in runs], 1),
            _cell([r["best_epoch"] for r in runs], 1),
            *[_cell([_get(x, "reconstruction", m, "hn_gap") for x in d]) for m in MODALITIES],
            *[_cell([_get(x, "reconstruction", m, "hn_share") for x in d], 2) for m in MODALITIES],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    seen = [n for n in names if any(_get(r, "diagnostics", "train_split", "reconstruction") for r in rows[n])]
    if seen:
        lines += [
            "",
            "The same reconstruction errors on 300 clips of the training actors (intact / H_n swapped / RMS of X):",
            "",
        ]
        lines += ["| variant | " + " | ".join(MODALITIES) + " |", "|---|---|---|---|"]
        for n in seen:
            d = [_get(r, "diagnostics", "train_split", "reconstruction") or {} for r in rows[n]]
            cells = [
                " / ".join(_cell([_get(x, m, f"error_{k}") for x in d]) for k in ("intact", "swap_h", "rms"))
                for m in MODALITIES
            ]
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| variant | CAW w q05 / q50 / q95 (all modalities) | w at floor | w at 1 | "
        + " | ".join(f"abs cos(H,P) {m}" for m in MODALITIES)
        + " | head leakage (max over m) | routing entropy / log K |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n in names:
        d = [r["diagnostics"] for r in rows[n]]
        w = {k: [np.mean([_get(x, "caw_weights", m, k) for m in MODALITIES]) for x in d] for k in ("q05", "q50", "q95")}
        floor = [np.mean([_get(x, "caw_weights", m, "at_floor") for m in MODALITIES]) for x in d]
        one = [np.mean([_get(x, "caw_weights", m, "at_one") for m in MODALITIES]) for x in d]
        leak = [max(v for v in x["head_leakage"].values() if v is not None) for x in d]
        route = [
            np.mean([x["routing"][m]["token_entropy"] / x["routing"][m]["uniform"] for m in MODALITIES])
            for x in d
            if "routing" in x
        ]
        cells = [
            n,
            f"{_cell(w['q05'], 2)} / {_cell(w['q50'], 2)} / {_cell(w['q95'], 2)}",
            _cell(floor, 2),
            _cell(one, 2),
            *[_cell([_get(x, "abs_cos_hp", m) for x in d]) for m in MODALITIES],
            _cell(leak),
            _cell(route) if route else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
