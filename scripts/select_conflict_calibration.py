#!/usr/bin/env python
"""Compare how the conflict signal reads each modality by cross-validation inside the validation windows.

    .venv/bin/python scripts/select_conflict_calibration.py --checkpoint models/cacr_monitor.pt

The test split is not read. Method and variants: streammsa/training/evaluation/conflict_selection.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_OUT
from streammsa.errors import StreamMSAError
from streammsa.training.evaluation.conflict import HEADLINE_RULE, load_windows
from streammsa.training.evaluation.conflict_selection import cross_validate, markdown
from streammsa.training.evaluation.forward import load_cpu
from streammsa.training.evaluation.readers import add_reader_options, load_readers
from streammsa.training.evaluation.scoring import clean


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    p.add_argument("--data", type=Path, default=DEFAULT_OUT.expanduser())
    p.add_argument("--seed", type=int, default=0, help="how the validation windows are cut into folds")
    p.add_argument("--json-out", type=Path, help="also write the result here")
    add_reader_options(p)
    args = p.parse_args(argv)
    try:
        model, meta = load_cpu(args.checkpoint)
        valid = load_windows(model, meta, args.data, "valid", **load_readers(args)).with_confidence(HEADLINE_RULE)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    res = cross_validate(valid, seed=args.seed, progress=lambda line: print(line, file=sys.stderr))
    res["checkpoint"] = args.checkpoint
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(clean(res), indent=1) + "\n")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
