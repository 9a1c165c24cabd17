"""Each modality alone on held-out identities.

The test-split pool items (MOSI / MOSEI test videos, RAVDESS actors 19-24, EmoDB speakers 15-16,
held-out face identities), laid out as one monitor window exactly as the composer lays out training
windows (text span, audio crop, photo with talking-face motion), fed with the other two modalities
absent. Baselines: VADER for text; for faces the bundled expression classifier's own happy probability
(the FER part of the face features), which the face reading must rank at least as well (issue #10).
Every set also gets ``AUROC``: positive vs negative items (|label| >= 0.5), neutral ones left out, and
``neutral``: the mean and spread of the readings of its neutral items (neutral calibration).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.features import vision as V
from streammsa.training.dataset import Sample
from streammsa.training.evaluation.forward import load_cpu, run_model
from streammsa.training.evaluation.scoring import polarity_auroc, scores


def held_out_pools(shared: Path, cache: Path, spec, split: str):
    """Pools of one split's items (features from the cache; extracted where missing)."""
    from streammsa.datasets.items import list_items
    from streammsa.datasets.pools import build_pools

    items = [it for it in list_items(shared) if it.split == split]
    pools, stats = build_pools(items, spec, cache, progress=False, statements=False)
    if stats.extractors_created:
        print(f"note: {stats.extractors_created} extractor(s) had to be created (cache incomplete)", file=sys.stderr)
    return pools


def eval_unimodal(
    ckpts: list[str], shared: Path, cache: Path, split: str, text_reader=None, face_reader=None, voice_reader=None
) -> dict:
    """Every checkpoint on every (modality, corpus) set of ``split``, the other modalities absent; with
    ``text_reader`` (models/text_reader.py, the monitor's text reading) also that reader on each transcript, with
    ``face_reader`` (models/face_reader.py) that reader on each face, with ``voice_reader``
    (models/voice_reader.py) that reader on each whole clip's speech (NaN, left out, where too little)."""
    from streammsa.datasets.compose import ComposeConfig, Composer
    from streammsa.datasets.fusion_rule import FusionRule

    loaded = [load_cpu(c) for c in ckpts]
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
        for model, meta in loaded:
            if meta["model_name"].endswith("_only") and meta["model_name"] != f"{m}_only":
                continue  # a single-modality baseline only reads its own modality
            normed = [Sample(s.id, _normalised(s.features, meta["spec"]), s.label) for s in samples]
            out = run_model(model, normed)
            i = MODALITIES.index(m)
            row[meta["model_name"]] = {
                "overall": _with_auroc(out["intensity"], labels),
                "modality_head": _with_auroc(out["modality"][:, i], labels),
            }
        if m == "text":
            row["vader"] = _with_auroc(vader([e.item.text for e in entries]), labels)
            if text_reader is not None:
                row["text_reader"] = _with_auroc(text_reader.read([e.item.text for e in entries]), labels)
        if m == "audio" and voice_reader is not None:
            from streammsa.training.evaluation.conflict import voice_clip_readings

            clips = voice_clip_readings(voice_reader, shared, cache, {e.item.key for e in entries})
            r = np.asarray([clips.get(e.item.key, np.nan) for e in entries], dtype=np.float64)
            heard = np.isfinite(r)
            row["voice_reader"] = _with_auroc(r[heard], labels[heard])
        if m == "vision":
            happy = np.asarray([float(np.mean(s.features["vision"][:, FER_HAPPY])) for s in samples])
            row["fer_happy"] = {"n": len(entries), "AUROC": polarity_auroc(happy, labels)}
            if face_reader is not None:
                row["face_reader"] = _with_auroc(face_reader.read([s.features["vision"] for s in samples]), labels)
        row["constant_0"] = {"MAE": float(np.mean(np.abs(labels)))}
        results["sets"][name] = row
    return results


FER_HAPPY = V.FER_SLICE.start + V.FER_LABELS.index("happy")


def neutral_calibration(pred: np.ndarray, labels: np.ndarray, band: float = 0.5) -> dict | None:
    """Mean and spread of the readings of the neutral items (|label| < band): where "nothing to report" sits."""
    neutral = np.abs(np.asarray(labels, dtype=np.float64)) < band
    if not neutral.any():
        return None
    x = np.asarray(pred, dtype=np.float64)[neutral]
    return {"n": int(neutral.sum()), "mean": float(x.mean()), "std": float(x.std())}


def _with_auroc(pred: np.ndarray, labels: np.ndarray) -> dict:
    return {**scores(pred, labels), "AUROC": polarity_auroc(pred, labels), "neutral": neutral_calibration(pred, labels)}


def _normalised(features: dict[str, np.ndarray], spec) -> dict[str, np.ndarray]:
    return {k: (spec[k].normalise(v) if len(v) else v) for k, v in features.items()}


def vader(texts: list[str]) -> np.ndarray:
    """VADER's compound score x 3 (the [-3, 3] scale) per text."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return np.asarray([3.0 * sia.polarity_scores(t)["compound"] for t in texts], dtype=np.float64)
