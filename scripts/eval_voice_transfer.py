#!/usr/bin/env python
"""Voice features across speakers and corpora: leave-speakers-out and leave-one-corpus-out ROC AUC.

    .venv/bin/python scripts/eval_voice_transfer.py --json-out ~/.cache/streammsa/results/live/voice_transfer.json

Feature sets (``--features``): ``prosody``, the monitor's own voice features (streammsa.features.audio,
read from the composed dataset's feature cache, extracted there when missing); ``whisper-tiny``,
mean and standard deviation of the bundled Whisper tiny.en encoder's states over each clip (the
encoder run on the clip's own length, not padded to 30 s; cached under --cache). Corpora: RAVDESS
speech (24 actors) and EmoDB (10 speakers, German), labelled by emotion polarity (happiness positive;
anger, sadness, fear, disgust, boredom negative; neutral, calm and surprise left out). Method and
the speaker normalisation: streammsa/training/evaluation/voice_transfer.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.datasets.items import PoolItem, list_items
from streammsa.paths import shared_data
from streammsa.training.evaluation.voice_transfer import NORMALISATIONS, VoiceClips, pooled, transfer_table

CORPORA = ("ravdess", "emodb")


def prosody_rows(items: list[PoolItem], cache: Path) -> np.ndarray:
    from streammsa.datasets.pools import build_pools
    from streammsa.features.defaults import default_feature_spec

    pools, _ = build_pools(items, default_feature_spec(), cache, progress=False, statements=False)
    by_key = {e.item.key: e.features for split in pools.entries["audio"].values() for e in split}
    return np.stack([pooled(by_key[it.key]) for it in items])


def whisper_tiny_rows(items: list[PoolItem], cache: Path) -> np.ndarray:
    """Pooled encoder states per clip; the pooled vectors (not the frames) are cached by clip key."""
    import ctranslate2
    from faster_whisper import WhisperModel

    from streammsa import assets
    from streammsa.features.audio import decode_audio_file

    path = cache.parent / "voice_transfer" / "whisper-tiny-en-pooled.npz"
    stored: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as z:
            stored = dict(zip(z["keys"].tolist(), z["values"]))
    missing = [it for it in items if it.key not in stored]
    if missing:
        model = WhisperModel(str(assets.whisper_tiny_en()), device="cpu", compute_type="int8", cpu_threads=1)
        t0 = time.perf_counter()
        for n, it in enumerate(missing):
            mel = model.feature_extractor(np.asarray(decode_audio_file(it.path), np.float32))
            x = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None].astype(np.float32)))
            states = np.array(model.model.encode(x, to_cpu=True))[0]
            stored[it.key] = pooled(states)
            if (n + 1) % 200 == 0:
                print(f"  whisper-tiny: {n + 1}/{len(missing)} clips ({time.perf_counter() - t0:.0f} s)", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(stored)
        np.savez(path, keys=np.asarray(keys), values=np.stack([stored[k] for k in keys]))
    return np.stack([stored[it.key] for it in items])


def pooled_rows(feature: str, items: list[PoolItem], cache: Path) -> np.ndarray:
    """(N, D) one pooled vector per clip; ``a+b`` joins two feature sets side by side."""
    if "+" in feature:
        return np.hstack([pooled_rows(f, items, cache) for f in feature.split("+")])
    return FEATURES[feature](items, cache)


FEATURES = {"prosody": prosody_rows, "whisper-tiny": whisper_tiny_rows}


def clips(corpus: str, items: list[PoolItem], x: np.ndarray) -> VoiceClips:
    keep = np.asarray([it.emotion != "surprise" and it.emotion != "calm" for it in items])
    return VoiceClips(
        corpus=corpus,
        x=x,
        label=np.asarray([it.label for it in items], dtype=np.float64),
        speaker=np.asarray([it.group for it in items]),
        split=np.asarray([it.split for it in items]),
    ).subset(keep)


def markdown(results: dict) -> str:
    lines = [
        "| features | normalisation | protocol | train | test | ROC AUC | polar test clips (positive) |",
        "|---|---|---|---|---|---:|---|",
    ]
    for feat, rows in results.items():
        for r in rows:
            lines.append(
                f"| {feat} | {r['normalisation']} | {r['protocol']} | {r['train']} | {r['test']} | "
                f"{r['auroc']:.3f} | {r['test_clips']} ({r['test_positive']}) |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument(
        "--features",
        default="prosody,whisper-tiny,prosody+whisper-tiny",
        help=f"comma list of {', '.join(FEATURES)} (a+b: both side by side)",
    )
    p.add_argument("--json-out", type=Path, default=None)
    a = p.parse_args(argv)
    cache = a.cache.expanduser()
    names = [f.strip() for f in a.features.split(",") if f.strip()]
    unknown = [f for n in names for f in n.split("+") if f not in FEATURES]
    if unknown:
        print(f"error: unknown feature set {unknown[0]!r}: use {', '.join(FEATURES)}", file=sys.stderr)
        return 2
    items = {c: list_items(a.data, corpora=[c], modalities=["audio"]) for c in CORPORA}
    results = {}
    for feat in names:
        corpora = {c: clips(c, its, pooled_rows(feat, its, cache)) for c, its in items.items()}
        results[feat] = transfer_table(corpora, NORMALISATIONS)
    print(markdown(results))
    if a.json_out:
        out = a.json_out.expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
