#!/usr/bin/env python
"""The voice reader over every layer of the Whisper encoder: held-out voices, then the conflict signal (issue #11).

    .venv/bin/python scripts/eval_voice_layers.py --json-out /tmp/voice_layers.json

The voice reader's windows read with all five layers of tiny.en (a torch copy of the shipped CTranslate2 weights,
float32; cached beside the reader's own cache), the reader's fit repeated over each set of layers (test speakers
scored once), then the set best on validation read into the conflict signal in place of the shipped voice reader,
beside the shipped reader in the same run (``--no-conflict`` skips both). Method:
streammsa/training/evaluation/voice_layers.py. About 25 minutes on 2 cores the first time (reading the windows
and clips, 12; each conflict evaluation, 5).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.features.whisper_layers import LayerStates
from streammsa.training.evaluation.voice_layers import (
    LayerVoiceReader,
    add_experiment_options,
    best_reader,
    compare_layers,
    run_experiment,
    signal_comparison,
)
from streammsa.training.voice_reader import reader_cache_dir, voice_items, window_cache_path, window_rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    add_experiment_options(p)
    cache = window_cache_path(reader_cache_dir(DEFAULT_CACHE), LayerVoiceReader.CACHE_TAG)
    p.add_argument("--cache", type=Path, default=cache)
    a = p.parse_args(argv)

    def body() -> dict:
        items = voice_items(a.data)
        t0 = time.perf_counter()
        rows = window_rows(items, a.cache.expanduser(), states=LayerStates)
        print(f"{len(rows)} windows read ({time.perf_counter() - t0:.0f} s)", flush=True)
        res = {"command": "python scripts/eval_voice_layers.py " + " ".join(sys.argv[1:] if argv is None else argv)}
        res["layers"] = compare_layers(rows)
        name, reader = best_reader(rows, res["layers"])
        res["chosen"] = name
        print(f"chosen on validation: {name}", flush=True)
        if not a.no_conflict:
            voices = {"shipped voice reader": None, f"layers: {name}": reader}
            res["conflict"] = signal_comparison(voices, a.checkpoint, a.composed, log=lambda s: print(s, flush=True))
        return res

    return run_experiment(a, body)


if __name__ == "__main__":
    raise SystemExit(main())
