#!/usr/bin/env python
"""Set a checkpoint's alert thresholds from held-out data and store them in its metadata.

    .venv/bin/python scripts/calibrate_alerts.py --checkpoint models/cacr_monitor.pt --fpr 0.05

The thresholds are fitted on the VALIDATION split of the composed dataset (held-out identities; the
test split is only scored afterwards) by ``streammsa.engine.alert_calibration``, whose docstring gives
the rules; the conflict threshold is on the product's disagreement signal (``"signal": "disagreement"``),
each window read as the monitor reads it, with the confidences of
``streammsa.training.evaluation.conflict`` (its docstring says which). The result goes into
``meta["alerts"]`` of the checkpoint (thresholds, the rates on validation and test, the data and the
command); the monitor applies it unless --conflict-threshold / --negative-threshold are given.
scripts/eval_conflict.py reports the same fit with the signal's ROC AUC and naming accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_OUT
from streammsa.engine.alert_calibration import calibrate
from streammsa.errors import StreamMSAError
from streammsa.models.checkpoint import read_checkpoint, write_checkpoint_state
from streammsa.training.evaluation.conflict import HEADLINE_RULE, RULE_TEXT, load_windows
from streammsa.training.evaluation.forward import load_cpu
from streammsa.training.evaluation.readers import add_reader_options, load_readers, reading_sources, shown_sources
from streammsa.training.evaluation.scoring import clean


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    p.add_argument("--data", type=Path, default=DEFAULT_OUT.expanduser())
    p.add_argument(
        "--fpr", type=float, default=0.05, help="per-window false-positive rate to allow on validation (default 0.05)"
    )
    p.add_argument("--dry-run", action="store_true", help="print, do not write the checkpoint")
    p.add_argument("--json-out", type=Path, help="also write the record here (e.g. for docs/monitor-results.md)")
    add_reader_options(p)
    args = p.parse_args(argv)
    try:
        model, meta = load_cpu(args.checkpoint)
        readers = load_readers(args)
        valid = load_windows(model, meta, args.data, "valid", **readers).with_confidence(HEADLINE_RULE)
        test = load_windows(model, meta, args.data, "test", **readers).with_confidence(HEADLINE_RULE)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    command = "python scripts/calibrate_alerts.py " + " ".join(sys.argv[1:] if argv is None else argv)
    fitted_on = f"{args.data} valid split ({len(valid['label'])} composed windows, held-out identities)"
    calibration = clean(
        calibrate(
            valid,
            test,
            args.fpr,
            fitted_on=fitted_on,
            command=command,
            confidence_rule=RULE_TEXT[HEADLINE_RULE],
            shown=shown_sources(readers),
        )
    )
    calibration.update(reading_sources(readers))
    text = json.dumps(calibration, indent=1)
    print(text)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n")
    if not args.dry_run:
        state = read_checkpoint(args.checkpoint)
        state["alerts"] = calibration
        write_checkpoint_state(args.checkpoint, state)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
