#!/usr/bin/env python
"""Render docs/monitor-results.md from the JSON files that scripts/eval_monitor.py and calibrate_alerts.py wrote.

    .venv/bin/python scripts/monitor_results_md.py --results ~/.cache/streammsa/results/live \\
        --out docs/monitor-results.md

Nothing here computes a metric: it only lays out measured numbers with the command that produced each set
(``streammsa.training.evaluation.results_page``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streammsa.paths import docs_dir
from streammsa.training.evaluation.results_page import render_results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", type=Path, default=Path("~/.cache/streammsa/results/live").expanduser())
    p.add_argument("--out", type=Path, default=(docs_dir() or Path("docs")) / "monitor-results.md")
    a = p.parse_args(argv)
    a.out.write_text(render_results(a.results.expanduser()))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
