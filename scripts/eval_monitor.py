#!/usr/bin/env python
"""Evaluate the monitor's checkpoints (models/cacr_monitor.pt, models/dbr_monitor.pt): one command per result set.

    .venv/bin/python scripts/eval_monitor.py composed --checkpoint models/cacr_monitor.pt models/dbr_monitor.pt
    .venv/bin/python scripts/eval_monitor.py unimodal --checkpoint models/cacr_monitor.pt models/dbr_monitor.pt
    .venv/bin/python scripts/eval_monitor.py replay --checkpoint models/cacr_monitor.pt --corpus grid
    .venv/bin/python scripts/eval_monitor.py replay --checkpoint models/cacr_monitor.pt --corpus ravdess --split test

* ``composed``: held-out composed tri-modal windows (``streammsa.training.evaluation.composed``).
* ``unimodal``: each modality alone on held-out identities, + VADER (``...evaluation.unimodal``).
* ``replay``: end to end through the monitor, the ``streammsa replay --fast`` path (``...evaluation.replay``).

Every metric is computed by streammsa.training.metrics (MMSA definitions); ROC AUC by scikit-learn.
Results print as JSON; ``--json-out FILE`` also writes them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE, DEFAULT_OUT
from streammsa.errors import StreamMSAError
from streammsa.paths import shared_data
from streammsa.training.evaluation.composed import eval_composed, majority_baseline
from streammsa.training.evaluation.replay import replay_corpus
from streammsa.training.evaluation.scoring import clean
from streammsa.training.evaluation.unimodal import eval_unimodal

CHECKPOINTS = ["models/cacr_monitor.pt", "models/dbr_monitor.pt"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("composed", help="held-out composed tri-modal windows")
    c.add_argument("--checkpoint", nargs="+", default=CHECKPOINTS)
    c.add_argument("--data", type=Path, default=DEFAULT_OUT.expanduser())
    c.add_argument("--split", default="test")
    u = sub.add_parser("unimodal", help="each modality alone on held-out identities (+ VADER)")
    u.add_argument("--checkpoint", nargs="+", default=CHECKPOINTS)
    u.add_argument("--shared", type=Path, default=shared_data())
    u.add_argument("--cache", type=Path, default=DEFAULT_CACHE.expanduser())
    u.add_argument("--split", default="test")
    r = sub.add_parser("replay", help="end to end through the monitor")
    r.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    r.add_argument("--shared", type=Path, default=shared_data())
    r.add_argument("--corpus", choices=("ravdess", "grid"), required=True)
    r.add_argument("--split", default=None, help="train/valid/test (default: all clips)")
    r.add_argument("--limit", type=int, default=None)
    for sp in (c, u, r):
        sp.add_argument("--json-out", type=Path)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.what == "composed":
            res = {
                "models": [eval_composed(ck, args.data, args.split) for ck in args.checkpoint],
                "majority": majority_baseline(args.data, args.split),
            }
        elif args.what == "unimodal":
            res = eval_unimodal(args.checkpoint, args.shared, args.cache, args.split)
        else:
            res = replay_corpus(args.checkpoint, args.shared, args.corpus, args.split, args.limit)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    res = clean(res)
    res["command"] = "python scripts/eval_monitor.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = json.dumps(res, indent=1)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
