#!/usr/bin/env python
"""The Whisper encoder's top blocks fine-tuned for the voice reading: held-out voices, then the conflict signal.

    .venv/bin/python scripts/eval_voice_finetune.py --json-out docs/bench-raw/voice_finetune.json

The voice reader's windows (RAVDESS, EmoDB, GRID streams; the monitor's steps, VAD and windows) are read once with
the encoder's frozen lower layers; the top blocks are trained on the training speakers at each learning rate of the
grid, the rate and epoch chosen on the validation speakers; the reader's ridge is then fitted over every layer's
pooled states, beside the same fit over the frozen encoder, test speakers scored once; the tuned reader is read into
the conflict signal in place of the shipped voice reader, beside the shipped one (``--no-conflict`` skips both).
Method: streammsa/training/voice_tuning.py. About an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.training import voice_tuning as tuning
from streammsa.training.evaluation.scoring import clean
from streammsa.training.evaluation.voice_layers import add_experiment_options, run_experiment, signal_comparison
from streammsa.training.voice_reader import reader_cache_dir


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    add_experiment_options(p)
    defaults = tuning.TuneConfig()
    p.add_argument("--frozen", type=int, default=defaults.frozen, help="layers 0..K frozen (default %(default)s)")
    p.add_argument("--lrs", default=",".join(f"{x:g}" for x in defaults.lrs), help="learning rates to try")
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--patience", type=int, default=defaults.patience, help="epochs without a validation gain")
    p.add_argument("--save-encoder", type=Path, help="write the tuned blocks' weights (torch.save of a dict) here")
    p.add_argument("--cache-dir", type=Path, default=reader_cache_dir(DEFAULT_CACHE))
    a = p.parse_args(argv)
    lrs = tuple(float(x) for x in a.lrs.split(","))
    # the ridge refitted on train + validation, as session 26 measured (the shipped reader's is fitted on train)
    cfg = tuning.TuneConfig(frozen=a.frozen, lrs=lrs, epochs=a.epochs, patience=a.patience, ridge_on_valid=True)
    torch.set_num_threads(cfg.threads)

    def body() -> dict:
        res: dict = {
            "command": "python scripts/eval_voice_finetune.py " + " ".join(sys.argv[1:] if argv is None else argv)
        }
        res["config"] = cfg.__dict__
        encoder, steps = tuning.encoder_and_steps(a.data, a.cache_dir, cfg.frozen)
        res["frozen"] = tuning.frozen_fit(encoder, steps, cfg)
        print(f"frozen encoder: {json.dumps(clean(res['frozen']['test']['all']))}", flush=True)
        model, record = tuning.tune_grid(encoder, steps, cfg)
        res |= record
        lr = record["chosen"]["lr"]
        x = tuning.features(model, steps)
        reader, res["tuned"] = tuning.ridge_reader(
            steps, x, {"lr": lr, "frozen": cfg.frozen}, tuning.tuned_part(model), cfg.ridge_on_valid
        )
        if a.save_encoder:
            a.save_encoder.parent.mkdir(parents=True, exist_ok=True)
            torch.save(reader.tuned_encoder, a.save_encoder)
        print(f"tuned (lr {lr:g}): {json.dumps(clean(res['tuned']['test']['all']))}", flush=True)
        if not a.no_conflict:
            tuning.save_window_cache(a.cache_dir, reader.CACHE_TAG, steps, x)
            voices = {"shipped voice reader": None, "tuned encoder": reader}
            res["conflict"] = signal_comparison(voices, a.checkpoint, a.composed, log=lambda s: print(s, flush=True))
        return res

    return run_experiment(a, body)


if __name__ == "__main__":
    raise SystemExit(main())
