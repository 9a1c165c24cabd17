#!/usr/bin/env python
"""Store a monitor checkpoint's evaluation in its metadata and write its model card from that metadata.

    .venv/bin/python scripts/model_card.py --checkpoint models/cacr_monitor.pt \\
        --train-command "OMP_NUM_THREADS=1 .venv/bin/streammsa train ..." --train-log /tmp/lt/cacr.log \\
        --composed results/live/composed.json --unimodal results/live/unimodal.json \\
        --replay results/live/replay_ravdess_cacr.json results/live/replay_grid_cacr.json

The card (models/<checkpoint stem>.md) is rendered ONLY from the checkpoint: every number in its
metrics table is a value stored under ``meta["metrics"]``, so the two cannot disagree
(tests/test_live_checkpoint_card.py checks it). Run after scripts/calibrate_alerts.py.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from streammsa.models.checkpoint import read_checkpoint
from streammsa.training.evaluation.model_card import render_card
from streammsa.training.evaluation.stored_evaluation import store_evaluation


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--train-command")
    p.add_argument("--train-log")
    p.add_argument("--composed")
    p.add_argument("--unimodal")
    p.add_argument("--replay", nargs="*")
    p.add_argument("--lr-selection", help="JSON of the learning-rate probe runs (command, subset, runs)")
    p.add_argument("--render-only", action="store_true", help="only rewrite the card from the checkpoint")
    args = p.parse_args(argv)
    if args.render_only:
        state = read_checkpoint(args.checkpoint)
    else:
        command = "python scripts/model_card.py " + shlex.join(sys.argv[1:] if argv is None else argv)
        state = store_evaluation(
            args.checkpoint,
            card_command=command,
            composed=args.composed,
            unimodal=args.unimodal,
            replay=args.replay,
            train_command=args.train_command,
            train_log=args.train_log,
            lr_selection=args.lr_selection,
        )
    ck = Path(args.checkpoint)
    card = ck.with_suffix(".md")
    card.write_text(render_card(state, ck))
    print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
