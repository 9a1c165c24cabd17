#!/usr/bin/env python
"""Set a checkpoint's alert thresholds from held-out data and store them in its metadata.

    .venv/bin/python scripts/calibrate_alerts.py --checkpoint models/cacr_live.pt --fpr 0.05

The thresholds are fitted on the VALIDATION split of the live dataset (held-out identities; the
test split is only scored afterwards) so that a single window fires each alert rule on at most
``--fpr`` of the windows that should not fire it:

* sustained negative: ``negative_raise`` = the ``fpr`` quantile of the model's readings
  (clamped to [-3, 3], as the monitor clamps them) on windows whose label is not negative
  (label > -0.5, the dataset's polarity band);
* conflict: the smallest ``conflict_raise`` at which at most ``fpr`` of the windows WITHOUT a
  known cross-modal disagreement would be "hot" under the monitor's own rule (some present
  modality with C_m > threshold whose unimodal polarity opposes the others',
  ``streammsa.engine.alerts.polarity_disagreement`` with the configured dead zone).

The clear thresholds keep the default hysteresis gaps of AlertConfig (0.2 for conflict, 0.5 for
negativity): the gap only stops flicker and is not a quantity the data can set. A raised alert
also needs several consecutive hot windows (3 / 5), so the per-alert false-alarm rate is lower
than the per-window rate fitted here. The result goes into ``meta["alerts"]`` of the checkpoint
(thresholds, the rates on validation and test, the data and the command); the monitor applies
it unless --conflict-threshold / --negative-threshold are given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streammsa import MODALITIES  # noqa: E402
from streammsa.engine.alerts import AlertConfig, polarity_disagreement  # noqa: E402
from streammsa.protocol import ModalityReading, Reading  # noqa: E402

DEFAULT_DATA = Path("~/.cache/streammsa/live_dataset/v1").expanduser()
NEGATIVE_BAND = -0.5


def predictions(ckpt: str, data: Path, split: str) -> dict:
    sys.path.insert(0, str(REPO / "scripts"))
    from eval_live import load, run_model

    from streammsa.training.dataset import load_split
    from streammsa.training.live_build import read_composition

    model, meta = load(ckpt)
    ds = load_split(data, split).with_spec(meta["spec"])
    rows = {r["id"]: r for r in read_composition(data / "composition" / f"{split}.csv")}
    samples = [ds[i] for i in range(len(ds))]
    out = run_model(model, samples)
    out["label"] = ds.labels.astype(np.float64)
    out["conflict_flag"] = np.asarray([rows[s.id]["conflict"] == "1" for s in samples])
    out["kind"] = np.asarray([rows[s.id]["kind"] for s in samples])
    return out


def neutral_readings(out: dict) -> dict:
    """Mean and spread of the (clamped) readings where the input is neutral: |label| < 0.5, and the real GRID windows."""
    clamped = np.clip(out["intensity"], -3.0, 3.0)
    res = {}
    for name, sel in (("neutral_label_windows", np.abs(out["label"]) < -NEGATIVE_BAND), ("grid_real_windows", out["kind"] == "grid_real")):
        v = clamped[sel]
        res[name] = {"n": int(sel.sum()), "mean": float(v.mean()), "std": float(v.std()), "abs_p95": float(np.percentile(np.abs(v), 95))}
    return res


def hot_conflict(out: dict, threshold: float, dead_zone: float) -> np.ndarray:
    """Per window: would the monitor's conflict rule be hot for some modality at this threshold?"""
    n = len(out["intensity"])
    hot = np.zeros(n, dtype=bool)
    heads = np.clip(out["modality"], -3.0, 3.0)
    for i in range(n):
        present = out["present"][i]
        if present.sum() < 2:
            continue
        mods = {
            m: ModalityReading(present=bool(present[j]), intensity=float(heads[i, j]) if present[j] else None,
                               conflict=float(out["conflict"][i, j]) if present[j] else None, weight=None)
            for j, m in enumerate(MODALITIES)
        }  # fmt: skip
        r = Reading(stream="cal", seq=i, t_start=0.0, t_end=4.0, intensity=float(np.clip(out["intensity"][i], -3, 3)),
                    modalities=mods, transcript="", alerts=[], latency_ms=0.0, model="", trained=True)
        for j, m in enumerate(MODALITIES):
            if present[j] and out["conflict"][i, j] > threshold and polarity_disagreement(r, m, dead_zone)[0]:
                hot[i] = True
                break
    return hot


def fit_conflict(out: dict, fpr: float, dead_zone: float) -> float:
    multi = out["present"].sum(axis=1) >= 2
    neg = multi & ~out["conflict_flag"]
    # candidate thresholds: the observed scores of non-conflict windows; FPR falls as the threshold rises
    cands = np.unique(np.round(np.where(out["present"][neg], out["conflict"][neg], 0.0).ravel(), 4))
    lo, hi = 0, len(cands) - 1
    best = float(cands[-1])
    while lo <= hi:  # binary search for the smallest threshold meeting the rate
        mid = (lo + hi) // 2
        rate = hot_conflict({k: v[neg] for k, v in out.items() if k != "kind"}, float(cands[mid]), dead_zone).mean()
        if rate <= fpr:
            best, hi = float(cands[mid]), mid - 1
        else:
            lo = mid + 1
    return best


def rates(out: dict, cfg: AlertConfig) -> dict:
    out = {k: v for k, v in out.items() if k != "kind"}
    clamped = np.clip(out["intensity"], -3.0, 3.0)
    multi = out["present"].sum(axis=1) >= 2
    hot_c = hot_conflict(out, cfg.conflict_raise, cfg.polarity_dead_zone)
    flag = out["conflict_flag"]
    nonneg, neg = out["label"] > NEGATIVE_BAND, out["label"] <= NEGATIVE_BAND
    return {
        "conflict_window_fpr": float(hot_c[multi & ~flag].mean()),
        "conflict_window_tpr": float(hot_c[multi & flag].mean()),
        "negative_window_fpr": float((clamped[nonneg] < cfg.negative_raise).mean()),
        "negative_window_tpr": float((clamped[neg] < cfg.negative_raise).mean()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="models/cacr_live.pt")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--fpr", type=float, default=0.05, help="per-window false-positive rate to allow on validation (default 0.05)")
    p.add_argument("--dry-run", action="store_true", help="print, do not write the checkpoint")
    args = p.parse_args(argv)
    base = AlertConfig()
    valid = predictions(args.checkpoint, args.data, "valid")
    conflict_raise = fit_conflict(valid, args.fpr, base.polarity_dead_zone)
    clamped = np.clip(valid["intensity"], -3.0, 3.0)
    negative_raise = float(np.quantile(clamped[valid["label"] > NEGATIVE_BAND], args.fpr))
    cfg = AlertConfig(
        conflict_raise=round(conflict_raise, 4),
        conflict_clear=round(conflict_raise - (base.conflict_raise - base.conflict_clear), 4),  # below 0: clears when polarities agree
        negative_raise=round(negative_raise, 4),
        negative_clear=round(negative_raise + (base.negative_clear - base.negative_raise), 4),
    )
    test = predictions(args.checkpoint, args.data, "test")
    calibration = {
        "thresholds": {k: getattr(cfg, k) for k in ("conflict_raise", "conflict_clear", "negative_raise", "negative_clear")},
        "fitted_on": f"{args.data} valid split ({len(valid['label'])} composed windows, held-out identities)",
        "target_window_fpr": args.fpr,
        "valid": rates(valid, cfg),
        "test": rates(test, cfg),
        "test_with_defaults": rates(test, base),
        "neutral_readings": {"valid": neutral_readings(valid), "test": neutral_readings(test)},
        "command": "python scripts/calibrate_alerts.py " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    print(json.dumps(calibration, indent=1))
    if not args.dry_run:
        state = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
        state["alerts"] = calibration
        tmp = Path(args.checkpoint + ".tmp")
        torch.save(state, tmp)
        tmp.replace(args.checkpoint)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
