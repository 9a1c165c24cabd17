#!/usr/bin/env python
"""Conflict on clips built from real parts: a held-out person's face and spoken words that agree or disagree.

    .venv/bin/python scripts/eval_real_conflict.py [--per-emotion 6] [--checkpoint PATH] [--json OUT]

Each test-split photo (happiness, anger, sadness) is held on screen while espeak-ng speaks a plainly worded
positive or negative meeting sentence (scripts/data/plain_sentences.tsv), once agreeing with the face and once
not; every clip is replayed through the whole monitor and scored by its mean window disagreement
(``streammsa.training.evaluation.real_conflict``). About 5 s a clip on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.errors import StreamMSAError
from streammsa.monitor import Components
from streammsa.paths import shared_data
from streammsa.training.evaluation import plain_inputs, real_conflict
from streammsa.training.evaluation.readers import add_reader_options, monitor_config

SENTENCES = plain_inputs.sentences_file()


def _f(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped monitor checkpoint")
    ap.add_argument("--per-emotion", type=int, default=6, help="held-out photos per expression")
    ap.add_argument("--voice", default="en-us", help="espeak-ng voice")
    ap.add_argument("--shared", type=Path, default=shared_data(), help="the corpora (default ../shared/data)")
    ap.add_argument("--json", type=Path, default=None, help="also write every clip's figures here")
    add_reader_options(ap)
    args = ap.parse_args(argv)
    try:
        sentences = plain_inputs.load_sentences(SENTENCES)
        components = Components.build(monitor_config(args, args.checkpoint))
        res = real_conflict.evaluate(components, args.shared, sentences, args.per_emotion, args.voice)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    auc = "n/a" if res["roc_auc"] is None else f"{res['roc_auc']:.3f}"
    print(f"clips: {res['clips']} ({res['scored']} with a disagreement); ROC AUC disagree vs agree: {auc}")
    for kind in ("agree", "disagree"):
        k = res[kind]
        alerted = "n/a" if k["alerted"] is None else f"{k['alerted']:.0%}"
        print(f"  {kind:8s} n={k['n']:3d} mean disagreement {_f(k['mean_disagreement'])}, conflict alert in {alerted}")
    faces = ", ".join(f"{e} {_f(res[f'face_{e}'])}" for e in real_conflict.FACE_POLARITY)
    print(f"  face readings: {faces}; text readings: positive words {_f(res['text_positive_words'])}, "
          f"negative words {_f(res['text_negative_words'])}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
