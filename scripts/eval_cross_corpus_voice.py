#!/usr/bin/env python
"""Does a voice from a corpus the voice reader never heard lower the overall reading's ROC AUC? (issue #10)

    .venv/bin/python scripts/eval_cross_corpus_voice.py --json-out /tmp/cross_corpus_voice.json

Held-out composed windows with words and a RAVDESS or EmoDB voice, read without the voice, with a voice reader
fitted on the other corpus only, and as shipped; method in streammsa/training/evaluation/cross_corpus_voice.py.
The first run reads every RAVDESS and EmoDB clip's encoder states (a few minutes on 2 cores; cached with
scripts/train_voice_reader.py's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE, DEFAULT_OUT
from streammsa.errors import StreamMSAError, UsageError
from streammsa.paths import shared_data
from streammsa.training.evaluation.cross_corpus_voice import evaluate, report_lines
from streammsa.training.evaluation.readers import add_reader_options, load_readers
from streammsa.training.evaluation.scoring import clean
from streammsa.training.voice_reader import reader_cache_dir, window_cache_path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    p.add_argument("--data", type=Path, default=DEFAULT_OUT.expanduser(), help="the composed dataset")
    p.add_argument("--shared", type=Path, default=shared_data(), help="the corpora (default ../shared/data)")
    p.add_argument(
        "--cache",
        type=Path,
        default=window_cache_path(reader_cache_dir(DEFAULT_CACHE)),
        help="pooled states of the encoder's last layer per window (kept by training/voice_reader.window_rows)",
    )
    p.add_argument("--json-out", type=Path, default=None)
    add_reader_options(p)
    a = p.parse_args(argv)
    try:
        readers = load_readers(a)
        if readers["voice_reader"] is None:
            raise UsageError("--voice-reader head has no ridge strength to refit with: use a reader file")
        res = evaluate(a.checkpoint, a.data, a.shared, a.cache.expanduser(), readers)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print("\n".join(report_lines(res)))
    if a.json_out:
        a.json_out.expanduser().parent.mkdir(parents=True, exist_ok=True)
        a.json_out.expanduser().write_text(json.dumps(clean(res), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
