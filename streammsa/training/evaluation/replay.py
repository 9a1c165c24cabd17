"""End to end through the monitor (the ``streammsa replay --fast`` path: PyAV decode, faster-whisper,
the monitor's extractors, the model) on every clip of a corpus/split; a clip's reading = the mean of
its readings' intensities. RAVDESS: ROC AUC of that reading, positive vs negative emotions; GRID:
mean / spread of readings on neutral speech, and alerts raised.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from streammsa.training.evaluation.scoring import roc_auc, scores

NEUTRAL_BAND = 0.5  # the dataset's polarity bins (docs/composed-dataset.md)


def replay_items(shared: Path, corpus: str, split: str | None) -> list:
    """RAVDESS speech clips, or GRID clips (one item each), of ``split`` (None / "all": every clip)."""
    from streammsa.datasets.items import list_grid, list_ravdess

    if corpus == "ravdess":
        items = list_ravdess(shared)
    else:
        items = [it for it in list_grid(shared) if it.modality == "audio"]
    return [it for it in items if split in (None, "all") or it.split == split]


def replay_clip(path: str, config, components) -> dict:
    """One clip through the monitor: its readings, alerts raised and transcript."""
    from streammsa.monitor import replay_messages

    run = replay_messages(path, config=config, components=components)
    rs = run.readings
    raised = [m for m in run.of_type("alert") if m["state"] == "raised"]
    return {
        "readings": [r["intensity"] for r in rs],
        "trained": all(r["trained"] for r in rs),
        "text_present": sum(r["modalities"]["text"]["present"] for r in rs),
        "alerts_raised": len(raised),
        "alert_kinds": sorted({a["kind"] for a in raised}),
        "transcript": run.result.transcript,
    }


def replay_corpus(ckpt: str, shared: Path, corpus: str, split: str | None, limit: int | None = None) -> dict:
    """Every clip of ``corpus``/``split`` through the monitor with the checkpoint's calibrated thresholds."""
    from streammsa.engine.alerts import CALIBRATED_FIELDS
    from streammsa.engine.inference import EngineConfig
    from streammsa.monitor import Components, DashboardConfig, MonitorConfig, resolve_alerts

    items = replay_items(shared, corpus, split)
    if limit:
        items = items[:limit]
    engine = EngineConfig(checkpoint=Path(ckpt), device="cpu")
    config = MonitorConfig(
        engine=engine,
        speed=None,
        progress=False,
        write_report=False,
        dashboard=DashboardConfig(enabled=False),
    )
    components = Components.build(config)
    alerts = resolve_alerts(config, components.engine.meta)  # the checkpoint's calibration, as the CLI applies it
    t0 = time.perf_counter()
    clips = []
    for it in items:
        clip = replay_clip(it.path, config, components)
        clips.append({"clip": Path(it.path).name, "split": it.split, "label": it.label, "emotion": it.emotion, **clip})
    wall = time.perf_counter() - t0
    res: dict = {
        "checkpoint": ckpt,
        "corpus": corpus,
        "split": split,
        "clips": len(clips),
        "wall_s": round(wall, 1),
        "alerts": {k: getattr(alerts, k) for k in CALIBRATED_FIELDS},
        "all_trained": all(c["trained"] for c in clips),
    }
    return res | summarise(clips, corpus)


def summarise(clips: list[dict], corpus: str) -> dict:
    """Clip-level and reading-level numbers of a replayed corpus."""
    means = np.asarray([np.mean(c["readings"]) if c["readings"] else np.nan for c in clips])
    labels = np.asarray([c["label"] for c in clips])
    all_readings = np.asarray([x for c in clips for x in c["readings"]])
    res: dict = {"readings": len(all_readings), "alerts_raised": int(sum(c["alerts_raised"] for c in clips))}
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
        res["mean_reading_by_emotion"] = {
            e: float(np.mean([mu for c, mu in zip(clips, means) if c["emotion"] == e and not np.isnan(mu)]))
            for e in sorted({c["emotion"] for c in clips})
        }
    n = len(all_readings)
    res["neutral_like"] = {
        "mean": float(all_readings.mean()) if n else None,
        "std": float(all_readings.std()) if n else None,
        "abs_p95": float(np.percentile(np.abs(all_readings), 95)) if n else None,
    }
    res["per_clip"] = [
        {k: v for k, v in c.items() if k != "readings"} | {"mean_reading": float(mu)} for c, mu in zip(clips, means)
    ]
    return res
