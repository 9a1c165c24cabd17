#!/usr/bin/env python
"""The conflict signal with the face read by CACR's face head or by face readers fitted with the negative photos
weighted x1 (the shipped fit) .. x5: why the face reader is opt-in (docs/live-results.md, session 7).

    .venv/bin/python scripts/eval_face_reader_conflict.py

Text and voice are read by their shipped readers, as in the monitor; composed ROC AUC, naming and RAVDESS statements
as in scripts/eval_conflict.py (streammsa/training/evaluation/conflict.py), on the validation and test windows.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
from pathlib import Path

import numpy as np

from streammsa.datasets.build import DEFAULT_CACHE, DEFAULT_OUT
from streammsa.engine.alert_calibration import fit_polarity
from streammsa.models.text_reader import load_reader
from streammsa.models.voice_reader import load_voice_reader
from streammsa.paths import shared_data
from streammsa.training.evaluation.conflict import HEADLINE_RULE, face_readings, load_windows, measure
from streammsa.training.evaluation.forward import composed_windows, load_cpu
from streammsa.training.face_reader import face_rows, fit_ridge_reader, joined


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    p.add_argument("--data", type=Path, default=DEFAULT_OUT.expanduser())
    p.add_argument("--weights", default="1,2,3,5", help="weights of the negative photos to fit readers with")
    a = p.parse_args(argv)
    model, meta = load_cpu(a.checkpoint)
    faces = joined(*(face_rows(shared_data(), DEFAULT_CACHE.expanduser(), s) for s in ("train", "valid")))
    readers = {"head": None}
    for k in (float(v) for v in a.weights.split(",")):
        weight = faces.weight * np.where(faces.label < 0, k, 1.0)
        readers[f"reader x{k:g}"] = fit_ridge_reader(dataclasses.replace(faces, weight=weight))
    print("| split | face read by | composed ROC AUC | naming | RAVDESS statements |\n|---|---|---:|---:|---:|")
    splits = {}
    for split in ("valid", "test"):
        w = load_windows(model, meta, a.data, split, text_reader=load_reader(), voice_reader=load_voice_reader())
        splits[split] = (w, *composed_windows(a.data, split, meta["spec"]))
    for name, reader in readers.items():
        outs = {}
        for split, (w, samples, rows) in splits.items():
            out = dict(w.out, modality=np.asarray(w.out["modality"], dtype=np.float64).copy())
            if reader is not None:
                present = np.asarray(w.out["present"], dtype=bool)[:, 2]
                r = face_readings(reader, samples, rows, a.data, meta["spec"])
                has = present & np.isfinite(r)
                out["modality"][has, 2] = r[has]
            w2 = copy.copy(w)
            w2.out = out
            outs[split] = (w2, w2.with_confidence(HEADLINE_RULE))
        polarity = fit_polarity(outs["valid"][1], "valid split")  # each face reading gets its own calibration
        for split, (w2, out) in outs.items():
            m = measure(w2, out, polarity)
            print(
                f"| {split} | {name} | {m['composed']['roc_auc']:.3f} | {m['naming']['accuracy']:.3f} | "
                f"{m['ravdess_statements']['roc_auc']:.3f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
