#!/usr/bin/env python
"""Sanity checks of a built composed dataset (docs/composed-dataset.md, "Checks"); prints JSON.

    .venv/bin/python scripts/check_composed_dataset.py [--data ~/.cache/streammsa/live_dataset/v1]

The checks (signal per modality, RAVDESS audio emotion, the still-photo shortcut) are
``streammsa.datasets.checks``; their docstring says what each measures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE, DEFAULT_OUT
from streammsa.datasets.checks import audio_emotion, signal, still_shortcut
from streammsa.errors import StreamMSAError
from streammsa.paths import shared_data
from streammsa.training.feature_data import load_feature_split


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_OUT, help="built dataset (default: %(default)s)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="unimodal feature cache (default: %(default)s)")
    p.add_argument("--shared-data", type=Path, default=shared_data())
    a = p.parse_args(argv)
    data = a.data.expanduser()
    try:
        train, test = load_feature_split(data, "train"), load_feature_split(data, "test")
        emotion = audio_emotion(a.shared_data, a.cache.expanduser())
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    report = {
        "data": str(data),
        "signal": signal(train, test),
        "audio_emotion": emotion,
        "still_shortcut": still_shortcut(data, train, test),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
