"""MOSI / MOSEI text benchmark (``scripts/bench_mosi_text.py``): a text-only model on MiniLM token features
vs the VADER lexicon baseline.

Data (read-only): ../shared/data/mosi/label.csv and mosei/label.csv (transcripts, intensity in
[-3, 3], standard `mode` train/valid/test splits). The only features available for these
corpora here are the transcripts, so this measures the text path of the monitor:

- text_only: the registry's text_only model on all-MiniLM-L6-v2 token features (the monitor's text
  encoder, streammsa.features.text), trained with the project trainer (L1, Adam, early stopping
  on validation MAE); mean +- std over seeds;
- VADER: vaderSentiment's compound score (in [-1, 1]) x 3, no training.

Metrics: MMSA's (streammsa.training.metrics). Token features are cached in a cache directory.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec, ModalitySpec
from streammsa.training.dataset import MSADataset, Sample

REPORT_KEYS = ("Non0_acc_2", "Non0_F1_score", "Has0_acc_2", "Has0_F1_score", "Mult_acc_5", "Mult_acc_7", "MAE", "Corr")
PCT = {"Non0_acc_2", "Non0_F1_score", "Has0_acc_2", "Has0_F1_score", "Mult_acc_5", "Mult_acc_7"}


def read_labels(path: Path) -> list[dict]:
    if not path.is_file():
        raise InputError(f"{path} not found (see ../shared/data/README.md)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)]
    for r in rows:
        r["label"] = float(r["label"])
    return rows


def build_cache(corpus: str, rows: list[dict], cache_dir: Path) -> Path:
    from streammsa.features import text as text_mod

    h = hashlib.sha1(Path(text_mod.__file__).read_bytes())
    h.update(json.dumps([text_mod.default_text_spec().params, [r["text"] for r in rows]]).encode())
    path = cache_dir / f"{corpus}-minilm-{h.hexdigest()[:12]}.npz"
    if path.is_file():
        with np.load(path) as z:
            has_labels = "label" in z.files
        if not has_labels:  # caches from before labels were stored: add them, keep the tokens
            with np.load(path) as z:
                arrays = {k: z[k] for k in z.files}
            np.savez(path, **arrays, **_label_arrays(rows))
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"encoding {len(rows)} {corpus} transcripts into {path}", flush=True)
    enc = text_mod.TextEncoder()
    feats, t0 = [], time.perf_counter()
    for i in range(0, len(rows), 256):
        feats.extend(enc.encode_batch([r["text"] for r in rows[i : i + 256]]))
        print(f"  {min(i + 256, len(rows))}/{len(rows)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    np.savez(
        path,
        tokens=np.concatenate(feats).astype(np.float32),
        lengths=np.asarray([len(f) for f in feats], np.int64),
        text_spec=json.dumps(dataclasses.asdict(text_mod.default_text_spec())),
        **_label_arrays(rows),
    )
    return path


def _label_arrays(rows: list[dict]) -> dict[str, np.ndarray]:
    return {
        "label": np.asarray([r["label"] for r in rows], np.float32),
        "mode": np.asarray([r["mode"] for r in rows]),
        "ids": np.asarray([f"{r['video_id']}_{r['clip_id']}" for r in rows]),
    }


def text_only_spec(text_spec: dict) -> FeatureSpec:
    d = dict(text_spec)
    for k in ("feature_names", "mean", "std"):
        if d.get(k) is not None:
            d[k] = tuple(d[k])
    # Only transcripts exist for these corpora: audio/vision are absent in every sample.
    absent = {m: ModalitySpec(name=m, extractor="absent", dim=1, rate_hz=0.0) for m in ("audio", "vision")}
    return FeatureSpec(text=ModalitySpec(**d), **absent)


def load_splits(cache: Path) -> tuple[dict[str, list[Sample]], FeatureSpec]:
    with np.load(cache) as z:
        tokens, lengths, text_spec = z["tokens"], z["lengths"], json.loads(str(z["text_spec"]))
        labels, modes, ids = z["label"], z["mode"], z["ids"]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    splits: dict[str, list[Sample]] = {"train": [], "valid": [], "test": []}
    empty = np.zeros((0, 1), np.float32)
    for i in range(len(labels)):
        feats = {"text": tokens[offsets[i] : offsets[i + 1]], "audio": empty, "vision": empty}
        splits[str(modes[i])].append(Sample(id=str(ids[i]), features=feats, label=float(labels[i])))
    return splits, text_only_spec(text_spec)


def vader_scores(rows: list[dict]) -> dict[str, float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from streammsa.training.metrics import mosi_metrics

    sia = SentimentIntensityAnalyzer()
    test = [r for r in rows if r["mode"] == "test"]
    pred = [3.0 * sia.polarity_scores(r["text"])["compound"] for r in test]
    return mosi_metrics(pred, [r["label"] for r in test])


def train_text_only(splits: dict[str, list[Sample]], spec: FeatureSpec, seed: int, args: argparse.Namespace) -> dict:
    import torch

    from streammsa.models import build_model
    from streammsa.models.checkpoint import load_model
    from streammsa.models.device import resolve_device
    from streammsa.training.dataset import normalised_spec
    from streammsa.training.trainer import Trainer, TrainOptions, evaluate, seed_everything

    train = MSADataset(splits["train"], spec, "text", "train")
    spec = normalised_spec(train)
    ds = {k: MSADataset(v, spec, "text", k) for k, v in splits.items()}
    seed_everything(seed)
    if resolve_device(args.device).type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    model = build_model("text_only", spec.dims, {})
    with tempfile.TemporaryDirectory() as tmp:
        opts = TrainOptions(
            model="text_only",
            data="text",
            out=str(Path(tmp) / "m.pt"),
            seed=seed,
            device=args.device,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            patience=args.patience,
            progress=False,
            # the trainer these tables were measured with (plain Adam, no schedule): their commands reproduce them
            optimizer="adam",
            weight_decay=0.0,
            schedule="none",
            warmup_epochs=0.0,
        )
        trainer = Trainer(model, ds["train"], ds["valid"], opts, spec)
        result = trainer.fit()
        best, _ = load_model(result.checkpoint, trainer.device)
        test, _ = evaluate(best, ds["test"], trainer.device)
    return {"seed": seed, "best_epoch": result.best_epoch, "test": test, "sizes": {k: len(v) for k, v in ds.items()}}


def markdown(results: dict, args: argparse.Namespace, device: str, minutes: float) -> str:
    lines = [
        f"Command: `.venv/bin/python scripts/bench_mosi_text.py --corpora {','.join(results)} --seeds {args.seeds} "
        f"--epochs {args.epochs} "
        f"--patience {args.patience} --batch-size {args.batch_size} --lr {args.lr} --device {args.device}` "
        f"({device}, {minutes:.1f} min). Test split; text_only = mean +- std "
        f"over {args.seeds} seeds; accuracies/F1 in %.",
        "",
        "| corpus | model | Acc2 (Non0) | F1 (Non0) | Acc2 (Has0) | F1 (Has0) | Acc5 | Acc7 | MAE | Corr |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for corpus, res in results.items():
        runs = res["runs"]
        cells = []
        for k in REPORT_KEYS:
            vals = [r["test"][k] for r in runs]
            m, s = float(np.mean(vals)), float(np.std(vals))
            cells.append(f"{100 * m:.2f} +- {100 * s:.2f}" if k in PCT else f"{m:.3f} +- {s:.3f}")
        sizes = runs[0]["sizes"]
        counts = f"{sizes['train']}/{sizes['valid']}/{sizes['test']}"
        lines.append(f"| {corpus.upper()} ({counts}) | text_only (MiniLM) | " + " | ".join(cells) + " |")
        v = res["vader"]
        vader = " | ".join(f"{100 * v[k]:.2f}" if k in PCT else f"{v[k]:.3f}" for k in REPORT_KEYS)
        lines.append(f"| {corpus.upper()} | VADER compound x 3 | " + vader + " |")
    return "\n".join(lines) + "\n"
