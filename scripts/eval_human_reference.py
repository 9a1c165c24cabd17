#!/usr/bin/env python
"""How well people read an acted clip's polarity from the voice alone, the face alone and both (CREMA-D's ratings).

    .venv/bin/python scripts/eval_human_reference.py

A scale for the readers' ROC AUC (docs/results.md, issue #11's naming target); method and caveats:
streammsa/training/evaluation/human_reference.py. A few seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from streammsa.datasets.corpus_labels import read_cremad_votes
from streammsa.errors import StreamMSAError
from streammsa.paths import shared_data
from streammsa.training.evaluation.human_reference import CONDITIONS, people_score
from streammsa.training.evaluation.scoring import clean


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--draws", type=int, default=20, help="random single votes per clip to average over")
    a = p.parse_args(argv)
    try:
        clips = read_cremad_votes(a.data / "cremad")
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    out = {c: dataclasses.asdict(people_score(clips, c, a.draws)) for c in CONDITIONS}
    print(json.dumps(clean(out), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
