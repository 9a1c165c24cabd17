#!/usr/bin/env python
"""Fit the fusion rule on real human judgments and write streammsa/datasets/fusion_rule.json.

    .venv/bin/python scripts/fit_fusion_rule.py --seed 0            # fit, select, write the JSON, print the report
    .venv/bin/python scripts/fit_fusion_rule.py --check             # re-fit and compare with the stored JSON only

Sources (read-only, from ../shared/data or $STREAMMSA_SHARED_DATA): CH-SIMS v2 ``labels.csv`` (fit on
train, select by valid MAE, report test) and CREMA-D ``tabulatedVotes.csv`` (how the rule transfers).
The fitting is ``streammsa.datasets.fusion_fit``, the report ``streammsa.datasets.fusion_report``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.fusion_fit import fit_all, same_parameters
from streammsa.datasets.fusion_report import format_rule, report_chsims, report_cremad, report_label_evidence
from streammsa.datasets.fusion_rule import DEFAULT_PATH
from streammsa.errors import InputError
from streammsa.paths import shared_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=shared_data(), help="shared data root (default ../shared/data)")
    ap.add_argument("--seed", type=int, default=0, help="seed for optimiser restarts and the CREMA-D actor split")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH, help="where to write the fitted rule JSON")
    ap.add_argument("--check", action="store_true", help="re-fit and compare with --out instead of writing it")
    ap.add_argument("--no-report", action="store_true", help="skip the test-split and CREMA-D report")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data root {args.data} not found: pass --data or set STREAMMSA_SHARED_DATA", file=sys.stderr)
        return 2
    try:
        record = fit_all(args.data, args.seed)
        if args.check:
            stored = json.loads(args.out.read_text(encoding="utf-8"))
            ok = same_parameters(stored["selected"], record["selected"])
            print(f"{args.out}: {'reproduced' if ok else 'DIFFERS from the re-fit'}")
            return 0 if ok else 1
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
        lines = format_rule(record)
        if not args.no_report:
            lines += report_chsims(record, args.data)
            lines += report_cremad(record, args.data, args.seed)
            lines += report_label_evidence(args.data)
        print("\n".join(lines))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
