#!/usr/bin/env python
"""Evaluate the live checkpoints (models/cacr_live.pt, models/dbr_live.pt): one command per result set.

    .venv/bin/python scripts/eval_live.py composed --checkpoint models/cacr_live.pt models/dbr_live.pt
    .venv/bin/python scripts/eval_live.py unimodal --checkpoint models/cacr_live.pt models/dbr_live.pt
    .venv/bin/python scripts/eval_live.py replay --checkpoint models/cacr_live.pt --corpus grid
    .venv/bin/python scripts/eval_live.py replay --checkpoint models/cacr_live.pt --corpus ravdess --split test

* ``composed``: held-out composed tri-modal windows (the dataset's test split, docs/live-dataset.md):
  MMSA metrics overall and per window kind; each per-modality head against its own label; the ROC
  AUC of the conflict score (max C_m over present modalities) against the known cross-modal
  disagreement flag of composition/test.csv; a majority / constant baseline from the train labels.
* ``unimodal``: each modality alone on held-out identities: the test-split pool items (MOSI / MOSEI
  test videos, RAVDESS actors 19-24, EmoDB speakers 15-16, held-out face identities), laid out as one
  live window exactly as the composer lays out training windows (text span, audio crop, photo with
  talking-face motion), fed with the other two modalities absent; VADER for text as a baseline.
* ``replay``: end to end through the monitor (``streammsa replay --fast`` path: PyAV decode, faster-whisper,
  the live extractors, the model): every clip of the chosen corpus/split; a clip's reading = mean
  of its readings' intensities. RAVDESS: ROC AUC of that reading, positive vs negative emotions;
  GRID: mean / spread of readings on neutral speech, and alerts raised.

Every metric is computed by streammsa.training.metrics (MMSA definitions); ROC AUC by scikit-learn.
Results print as JSON; ``--json-out FILE`` also writes them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streammsa import MODALITIES  # noqa: E402

DEFAULT_DATA = Path("~/.cache/streammsa/live_dataset/v1").expanduser()
DEFAULT_CACHE = Path("~/.cache/streammsa/live_dataset/cache").expanduser()
DEFAULT_SHARED = Path(os.environ.get("STREAMMSA_SHARED_DATA", REPO.parent / "shared" / "data"))
NEUTRAL_BAND = 0.5  # the dataset's polarity bins (docs/live-dataset.md)


def _clean(v):
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (np.floating, float)):
        return None if not math.isfinite(float(v)) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    return v


def scores(pred: np.ndarray, true: np.ndarray) -> dict:
    """MMSA metrics (mosi set) plus n; Corr is NaN (null) for a constant predictor."""
    from streammsa.training import metrics as mm

    out = mm.compute(np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64), "mosi")
    return {"n": int(len(true)), **out}


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        return None
    return float(roc_auc_score(positive, np.asarray(score, dtype=np.float64)))


def load(path: str):
    import torch

    from streammsa.training.checkpoint import load_model

    torch.set_num_threads(int(os.environ.get("STREAMMSA_THREADS", "1")))
    return load_model(path, "cpu")


def run_model(model, samples, batch_size: int = 64) -> dict:
    """Forward a list of Samples; returns intensity, per-modality heads, conflict and presence."""
    import torch

    from streammsa.training.dataset import collate

    outs = {"intensity": [], "modality": [], "conflict": [], "present": []}
    with torch.inference_mode():
        for a in range(0, len(samples), batch_size):
            batch = collate(samples[a : a + batch_size])
            o = model(batch).detach_cpu()
            outs["intensity"].append(o.intensity.float().numpy())
            outs["modality"].append(o.modality_intensity.float().numpy())
            outs["conflict"].append(o.conflict.float().numpy())
            outs["present"].append(o.present.numpy())
    return {k: np.concatenate(v) for k, v in outs.items()}


# ------------------------------------------------------------------------------ composed windows


def eval_composed(ckpt: str, data: Path, split: str) -> dict:
    from streammsa.training.dataset import load_split
    from streammsa.training.live_build import read_composition

    model, meta = load(ckpt)
    ds = load_split(data, split)
    problems = ds.spec.compatible_with(meta["spec"])
    if problems:
        raise SystemExit(f"{data} does not match {ckpt}'s features: {problems[:2]}")
    ds = ds.with_spec(meta["spec"])
    rows = {r["id"]: r for r in read_composition(data / "composition" / f"{split}.csv")}
    samples = [ds[i] for i in range(len(ds))]
    t0 = time.perf_counter()
    out = run_model(model, samples)
    seconds = time.perf_counter() - t0
    labels = ds.labels.astype(np.float64)
    kinds = np.asarray([rows[s.id]["kind"] for s in samples])
    flag = np.asarray([rows[s.id]["conflict"] == "1" for s in samples])
    magnitude = np.asarray([float(rows[s.id]["conflict_magnitude"]) for s in samples])
    mod_labels = np.stack([s.modality_labels for s in samples]).astype(np.float64)
    present = out["present"].astype(bool)

    res: dict = {"checkpoint": ckpt, "model": meta["model_name"], "data": str(data), "split": split,
                 "forward_seconds": round(seconds, 2), "overall": scores(out["intensity"], labels), "by_kind": {}}
    for k in sorted(set(kinds)):
        sel = kinds == k
        res["by_kind"][k] = scores(out["intensity"][sel], labels[sel])
    res["modality_heads"] = {}
    for i, m in enumerate(MODALITIES):
        sel = present[:, i] & ~np.isnan(mod_labels[:, i])
        res["modality_heads"][m] = scores(out["modality"][sel, i], mod_labels[sel, i])
    # Late fusion without learning: the fixed label rule (CH-SIMS v2 fit) over this model's own unimodal heads.
    from streammsa.training.fusion_rule import FusionRule

    rule = FusionRule.load()
    late = np.asarray([rule.combine(*[float(np.clip(out["modality"][i, j], -3, 3)) if present[i, j] else None for j in range(3)])
                       for i in range(len(samples))])
    res["late_fusion_rule_over_heads"] = scores(late, labels)
    # Conflict: only windows with two or more present modalities can disagree.
    multi = present.sum(axis=1) >= 2
    c_score = np.where(present, out["conflict"], -np.inf).max(axis=1)
    heads = np.where(present, out["modality"], np.nan)
    head_spread = np.nanmax(heads, axis=1) - np.nanmin(heads, axis=1)
    res["conflict"] = {
        "windows": int(multi.sum()),
        "positives": int(flag[multi].sum()),
        "roc_auc_conflict_score": roc_auc(c_score[multi], flag[multi]),
        "roc_auc_head_spread": roc_auc(head_spread[multi], flag[multi]),
        "spearman_score_vs_magnitude": _spearman(c_score[multi], magnitude[multi]),
        "conflict_score_mean": {"conflict": float(c_score[multi & flag].mean()), "no_conflict": float(c_score[multi & ~flag].mean())},
    }
    return res


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def majority_baseline(data: Path, split: str) -> dict:
    """Constant predictors fitted on the train labels: the median (best constant for MAE) and the majority sign."""
    from streammsa.training.dataset import load_split

    train = load_split(data, "train").labels.astype(np.float64)
    test = load_split(data, split).labels.astype(np.float64)
    median = float(np.median(train))
    sign = 1.0 if (train[train != 0] > 0).mean() >= 0.5 else -1.0
    out = {
        "train_median": median,
        "median_constant": scores(np.full_like(test, median), test),
        "majority_sign": sign,
        "majority_sign_constant": scores(np.full_like(test, sign * 1e-3), test),
    }
    for k in ("median_constant", "majority_sign_constant"):
        out[k]["Corr"] = None  # undefined for a constant predictor
    return out


# ------------------------------------------------------------------------------ unimodal held-out


def held_out_pools(shared: Path, cache: Path, spec, split: str):
    from streammsa.training.live_dataset import build_pools, list_items

    items = [it for it in list_items(shared) if it.split == split]
    pools, stats = build_pools(items, spec, cache, progress=False, statements=False)
    if stats.extractors_created:
        print(f"note: {stats.extractors_created} extractor(s) had to be created (cache incomplete)", file=sys.stderr)
    return pools


def eval_unimodal(ckpts: list[str], shared: Path, cache: Path, split: str) -> dict:
    from streammsa.training.compose import ComposeConfig, Composer
    from streammsa.training.dataset import Sample
    from streammsa.training.fusion_rule import FusionRule

    loaded = [load(c) for c in ckpts]
    spec = loaded[0][1]["spec"]
    # the composer needs the train-split GRID clips for still-photo motion, so load train pools too
    pools = held_out_pools(shared, cache, spec, split)
    motion_pools = held_out_pools(shared, cache, spec, "train") if split != "train" else pools
    pools.entries["vision"]["train"] = [e for e in motion_pools.entries["vision"]["train"] if e.item.corpus == "grid"]
    composer = Composer(pools, spec, FusionRule.load(), ComposeConfig(seed=0))
    rng = np.random.default_rng(0)
    groups: dict[str, list] = {}
    for m in MODALITIES:
        for e in pools.entries[m][split]:
            if e.item.corpus == "grid":
                continue  # GRID clips are evaluated end to end (replay --corpus grid)
            groups.setdefault(f"{m}/{e.item.corpus}", []).append(e)
    results: dict = {"split": split, "sets": {}}
    for name, entries in sorted(groups.items()):
        m = name.split("/")[0]
        samples = []
        for e in entries:
            feats = {k: np.zeros((0, spec[k].dim), np.float32) for k in MODALITIES}
            feats[m] = composer._layout(m, e, rng)  # the same window layout as training windows
            samples.append(Sample(id=e.item.key, features=feats, label=e.item.label))
        labels = np.asarray([e.item.label for e in entries], dtype=np.float64)
        row: dict = {"n": len(entries), "groups": len({e.item.group for e in entries})}
        for path, (model, meta) in zip(ckpts, loaded):
            if meta["model_name"].endswith("_only") and meta["model_name"] != f"{m}_only":
                continue  # a single-modality baseline only reads its own modality
            normed = [Sample(s.id, {k: (meta["spec"][k].normalise(v) if len(v) else v) for k, v in s.features.items()}, s.label) for s in samples]
            out = run_model(model, normed)
            i = MODALITIES.index(m)
            row[meta["model_name"]] = {"overall": scores(out["intensity"], labels), "modality_head": scores(out["modality"][:, i], labels)}
        if m == "text":
            row["vader"] = scores(vader([e.item.text for e in entries]), labels)
        row["constant_0"] = {"MAE": float(np.mean(np.abs(labels)))}
        results["sets"][name] = row
    return results


def vader(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return np.asarray([3.0 * sia.polarity_scores(t)["compound"] for t in texts], dtype=np.float64)


# ------------------------------------------------------------------------------ end to end


def replay_items(shared: Path, corpus: str, split: str | None) -> list:
    from streammsa.training.live_dataset import list_grid, list_ravdess

    if corpus == "ravdess":
        items = list_ravdess(shared)
    else:
        items = [it for it in list_grid(shared) if it.modality == "audio"]
    return [it for it in items if split in (None, "all") or it.split == split]


def replay_corpus(ckpt: str, shared: Path, corpus: str, split: str | None, limit: int | None = None) -> dict:
    from streammsa.capture.media_file import MediaFileSource
    from streammsa.engine.inference import EngineConfig
    from streammsa.pipeline import Components, Monitor
    from streammsa.pipeline_config import DashboardConfig, PipelineConfig, alert_config_for
    from streammsa.recorder.timeline import read_timeline

    items = replay_items(shared, corpus, split)
    if limit:
        items = items[:limit]
    engine = EngineConfig(checkpoint=Path(ckpt), device="cpu")
    alerts = alert_config_for(engine)  # the checkpoint's calibrated thresholds, as the CLI uses them
    base = PipelineConfig(engine=engine, alerts=alerts, speed=None, progress=False, dashboard=DashboardConfig(enabled=False))
    components = Components.build(base)
    clips = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for it in items:
            out = Path(tmp) / Path(it.path).stem
            cfg = PipelineConfig(engine=engine, alerts=alerts, out_dir=out, speed=None, progress=False, write_report=False,
                                 dashboard=DashboardConfig(enabled=False))
            mon = Monitor(cfg, [MediaFileSource(it.path)], components=components)
            result = mon.run()
            msgs = list(read_timeline(out / "timeline.jsonl"))
            rs = [m for m in msgs if m["type"] == "reading"]
            raised = [m for m in msgs if m["type"] == "alert" and m["state"] == "raised"]
            clips.append({
                "clip": Path(it.path).name, "split": it.split, "label": it.label, "emotion": it.emotion,
                "readings": [r["intensity"] for r in rs], "trained": all(r["trained"] for r in rs),
                "text_present": sum(r["modalities"]["text"]["present"] for r in rs),
                "alerts_raised": len(raised), "alert_kinds": sorted({a["kind"] for a in raised}),
                "transcript": result.transcript,
            })
    wall = time.perf_counter() - t0
    means = np.asarray([np.mean(c["readings"]) if c["readings"] else np.nan for c in clips])
    labels = np.asarray([c["label"] for c in clips])
    all_readings = np.asarray([x for c in clips for x in c["readings"]])
    res: dict = {"checkpoint": ckpt, "corpus": corpus, "split": split, "clips": len(clips), "wall_s": round(wall, 1),
                 "alerts": AlertSummary.of(alerts), "all_trained": all(c["trained"] for c in clips),
                 "readings": len(all_readings), "alerts_raised": int(sum(c["alerts_raised"] for c in clips))}
    ok = ~np.isnan(means)
    if corpus == "ravdess":
        pos, neg = labels >= NEUTRAL_BAND, labels <= -NEUTRAL_BAND
        sel = ok & (pos | neg)
        res["roc_auc_positive_vs_negative"] = roc_auc(means[sel], pos[sel])
        res["roc_auc_positive_vs_negative_per_reading"] = roc_auc(
            np.asarray([x for c, p, s in zip(clips, pos, sel) if s for x in c["readings"]]),
            np.asarray([p for c, p, s in zip(clips, pos, sel) if s for _ in c["readings"]]),
        )
        res["positive_clips"], res["negative_clips"] = int((sel & pos).sum()), int((sel & neg).sum())
        res["clip_metrics"] = scores(means[ok], labels[ok])
        res["mean_reading_by_emotion"] = {e: float(np.mean([mu for c, mu in zip(clips, means) if c["emotion"] == e and not np.isnan(mu)]))
                                          for e in sorted({c["emotion"] for c in clips})}
    res["neutral_like"] = {"mean": float(all_readings.mean()) if len(all_readings) else None,
                           "std": float(all_readings.std()) if len(all_readings) else None,
                           "abs_p95": float(np.percentile(np.abs(all_readings), 95)) if len(all_readings) else None}
    res["per_clip"] = [{k: v for k, v in c.items() if k != "readings"} | {"mean_reading": float(mu)} for c, mu in zip(clips, means)]
    return res


class AlertSummary:
    @staticmethod
    def of(cfg) -> dict:
        return {"conflict_raise": cfg.conflict_raise, "conflict_clear": cfg.conflict_clear,
                "negative_raise": cfg.negative_raise, "negative_clear": cfg.negative_clear}


# ------------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("composed", help="held-out composed tri-modal windows")
    c.add_argument("--checkpoint", nargs="+", default=["models/cacr_live.pt", "models/dbr_live.pt"])
    c.add_argument("--data", type=Path, default=DEFAULT_DATA)
    c.add_argument("--split", default="test")
    u = sub.add_parser("unimodal", help="each modality alone on held-out identities (+ VADER)")
    u.add_argument("--checkpoint", nargs="+", default=["models/cacr_live.pt", "models/dbr_live.pt"])
    u.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    u.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    u.add_argument("--split", default="test")
    r = sub.add_parser("replay", help="end to end through the monitor")
    r.add_argument("--checkpoint", default="models/cacr_live.pt")
    r.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    r.add_argument("--corpus", choices=("ravdess", "grid"), required=True)
    r.add_argument("--split", default=None, help="train/valid/test (default: all clips)")
    r.add_argument("--limit", type=int, default=None)
    for sp in (c, u, r):
        sp.add_argument("--json-out", type=Path)
    args = p.parse_args(argv)
    if args.what == "composed":
        res = {"models": [eval_composed(ck, args.data, args.split) for ck in args.checkpoint],
               "majority": majority_baseline(args.data, args.split)}
    elif args.what == "unimodal":
        res = eval_unimodal(args.checkpoint, args.shared, args.cache, args.split)
    else:
        res = replay_corpus(args.checkpoint, args.shared, args.corpus, args.split, args.limit)
    res = _clean(res)
    res["command"] = "python scripts/eval_live.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = json.dumps(res, indent=1)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
