"""Outputs of the shipped checkpoints on fixed inputs, as the code that trained them computed them.

``tests/models/data/legacy_checkpoint_outputs.json`` was recorded ONCE with the code of commit
5259a2e (the last commit before issue #11's model changes), so that the compatibility test compares
today's code with the old forward pass rather than with itself:

    mkdir -p /tmp/old && git archive 5259a2e streammsa | tar -x -C /tmp/old
    .venv/bin/python tests/support/legacy_outputs.py --code /tmp/old models \\
        tests/models/data/legacy_checkpoint_outputs.json

``--code DIR`` imports ``streammsa`` from DIR (the editable install's import hook is removed first,
otherwise it would win over sys.path).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

MODALITIES = ("text", "audio", "vision")
CHECKPOINTS = (
    "cacr_monitor.pt",
    "dbr_monitor.pt",
    "late_fusion_monitor.pt",
    "text_only_monitor.pt",
    "audio_only_monitor.pt",
    "vision_only_monitor.pt",
)
OUTPUT_FIELDS = ("intensity", "modality_intensity", "conflict", "weight", "shared_intensity")
LENGTHS = ((7, 30, 12), (3, 25, 10), (9, 40, 0), (0, 18, 6))  # per sample: text, audio, vision steps


def fixed_inputs(dims: dict[str, int]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Four windows of normalised-looking features: ragged lengths, no face in one, no words in another."""
    rng = np.random.default_rng(20260111)
    feats, masks = {}, {}
    for j, m in enumerate(MODALITIES):
        t_max = max(max(row[j] for row in LENGTHS), 1)
        x = np.zeros((len(LENGTHS), t_max, dims[m]), np.float32)
        k = np.zeros((len(LENGTHS), t_max), bool)
        for i, row in enumerate(LENGTHS):
            x[i, : row[j]] = rng.normal(size=(row[j], dims[m]))
            k[i, : row[j]] = True
        feats[m], masks[m] = torch.from_numpy(x), torch.from_numpy(k)
    return feats, masks


def outputs(model: torch.nn.Module, dims: dict[str, int]) -> dict[str, list]:
    from streammsa.models.io import MSABatch

    feats, masks = fixed_inputs(dims)
    torch.manual_seed(0)
    with torch.no_grad():
        out = model(MSABatch.build(feats, masks))
    return {f: getattr(out, f).tolist() for f in OUTPUT_FIELDS if getattr(out, f) is not None}


def record(models_dir: Path) -> dict[str, dict[str, list]]:
    from streammsa.models.checkpoint import load_model

    torch.set_num_threads(1)
    recorded = {}
    for name in CHECKPOINTS:
        model, meta = load_model(models_dir / name)
        recorded[name] = outputs(model, dict(meta["dims"]))
    return recorded


def use_code_from(directory: str) -> None:
    """Import ``streammsa`` from ``directory`` instead of the editable install."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, directory)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--code":
        use_code_from(args[1])
        args = args[2:]
    models, out = Path(args[0]), Path(args[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record(models), indent=1) + "\n")
    print(f"wrote {out}")
