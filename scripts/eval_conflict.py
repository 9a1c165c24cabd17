#!/usr/bin/env python
"""Measure the product's conflict signal on the composed dataset (issue #11).

    .venv/bin/python scripts/eval_conflict.py --checkpoint models/cacr_monitor.pt \\
        --compare models/late_fusion_monitor.pt --json-out /tmp/h11/conflict_cacr.json --md-out /tmp/h11/conflict.md

ROC AUC on held-out composed windows, naming of the odd modality, RAVDESS statements, alert thresholds
fitted on validation (test scored once) and the fused reading against late fusion; definitions in
``streammsa.training.evaluation.conflict``. Nothing is written into the checkpoint: store the thresholds
with scripts/calibrate_alerts.py (same fit).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_OUT
from streammsa.errors import StreamMSAError
from streammsa.training.evaluation.conflict import evaluate_conflict, markdown
from streammsa.training.evaluation.readers import add_reader_options, load_readers
from streammsa.training.evaluation.scoring import clean


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    p.add_argument("--data", type=Path, default=DEFAULT_OUT.expanduser())
    p.add_argument("--fpr", type=float, default=0.05, help="per-window false-alarm rate fitted on validation")
    p.add_argument("--compare", nargs="*", default=[], help="other checkpoints for the fused vs late fusion table")
    p.add_argument("--json-out", type=Path, help="write the full result here")
    p.add_argument("--md-out", type=Path, help="write a markdown section here")
    p.add_argument(
        "--reading-quality",
        action="store_true",
        help="also measure the signal with readings of known quality (labels plus noise; about a minute more)",
    )
    add_reader_options(p)
    args = p.parse_args(argv)
    command = "python scripts/eval_conflict.py " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        readers = load_readers(args)
        res = clean(
            evaluate_conflict(
                args.checkpoint,
                args.data,
                args.fpr,
                tuple(args.compare),
                command,
                **readers,
                reading_quality=args.reading_quality,
            )
        )
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    text = json.dumps(res, indent=1)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n")
    md = markdown(res)
    if args.md_out:
        args.md_out.parent.mkdir(parents=True, exist_ok=True)
        args.md_out.write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
