"""What the Whisper encoder's other layers are worth to the voice reading, and to the conflict signal (issue #11).

The voice reader reads the last layer of tiny.en (models/voice_reader.md). Here the reader's own windows (RAVDESS,
EmoDB and GRID streams, 4 s every 1 s, pooled over their speech; ``training/voice_reader.window_rows``) are read
with every layer (``features/whisper_layers.LayerStates``: the same weights, steps and context), and the reader's
own fit (ridge, sides balanced, strength chosen on validation MAE, refitted on train + validation, test speakers
scored once) is repeated over each set of layers in ``LAYER_SETS``. The set best on validation is then read into
the conflict signal in place of the shipped voice reader (the words and the face as shipped, the polarity
calibration refitted on validation as every evaluation does; ``conflict.evaluate_conflict``), on the composed
windows' test split. The validation windows' voices are the readers' own validation speakers, so the validation
figures of the signal are in-sample; test speakers are never fitted on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streammsa.features.whisper_layers import LayerStates, layer_columns
from streammsa.models.voice_reader import VoiceReader
from streammsa.training.voice_reader import Windows, choose_alpha, fit, score

# name -> layers (0: the stem's output, 1-3: the inner blocks', 4: the last, the shipped reader's)
LAYER_SETS: dict[str, tuple[int, ...]] = {
    "the last (the shipped reader's)": (4,),
    "block 3": (3,),
    "block 2": (2,),
    "block 1": (1,),
    "blocks 2, 3 and the last": (2, 3, 4),
    "all five": (0, 1, 2, 3, 4),
}


class LayerVoiceReader(VoiceReader):
    """The voice reader over pooled states of several encoder layers (``columns`` of ``LayerStates``' pooling)."""

    NAME = "voice reader over the encoder's layers"
    FORMAT = "streammsa.voice_reader_layers/1"
    CACHE_TAG = "-layers"

    def states(self) -> LayerStates:
        return LayerStates(tuned=self.tuned_encoder)

    def describe(self) -> str:
        return f"ridge over Whisper layers {self.meta.get('layers', 'all')} (alpha {self.meta.get('alpha', 0):g})"


def of_layers(rows: Windows, layers: tuple[int, ...]) -> Windows:
    return dataclasses.replace(rows, x=rows.x[:, layer_columns(layers)])


def compare_layers(rows: Windows, log: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    """Each set of ``LAYER_SETS``: ridge strength on validation, refitted on train + validation, test scored once."""
    split = {s: rows.where(rows.split == s) for s in ("train", "valid", "test")}
    out = {}
    for name, layers in LAYER_SETS.items():
        train, valid, test = (of_layers(split[s], layers) for s in ("train", "valid", "test"))
        alpha, maes = choose_alpha(train, valid)
        reader = fit(of_layers(rows.where(rows.split != "test"), layers), alpha)
        scored = {"all": score(reader, test)}
        scored |= {c: score(reader, test.where(test.corpus == c)) for c in ("ravdess", "emodb")}
        out[name] = {
            "layers": list(layers),
            "alpha": alpha,
            "valid_mae": maes[alpha],
            "test": {k: dataclasses.asdict(s) for k, s in scored.items()},
        }
        log(f"{name}: validation MAE {maes[alpha]:.4f} (ridge {alpha:g}); test {scored['all'].line()}")
    return out


def best_reader(rows: Windows, compared: dict[str, dict[str, Any]]) -> tuple[str, LayerVoiceReader]:
    """The set with the lowest validation MAE, fitted on train + validation (as the shipped reader was until
    session 28)."""
    name = min(compared, key=lambda k: compared[k]["valid_mae"])
    layers = tuple(compared[name]["layers"])
    both = of_layers(rows.where(rows.split != "test"), layers)
    meta = {"layers": list(layers), "columns": layer_columns(layers)}
    reader = fit(both, compared[name]["alpha"], meta, kind=LayerVoiceReader)
    return name, reader


def conflict_with(voice_reader: Any, checkpoint: str, data: Path) -> dict[str, Any]:
    """``evaluate_conflict`` with the readers an evaluation reads by default (the monitor's), the voice read by
    ``voice_reader`` (None: the shipped voice reader)."""
    import argparse

    from streammsa.training.evaluation.conflict import evaluate_conflict
    from streammsa.training.evaluation.readers import add_reader_options, load_readers

    p = argparse.ArgumentParser()
    add_reader_options(p)
    readers = load_readers(p.parse_args([]))
    if voice_reader is not None:
        readers["voice_reader"] = voice_reader
    return evaluate_conflict(checkpoint, data, **readers)


def signal_figures(res: dict[str, Any]) -> dict[str, Any]:
    """The figures the docs compare, from an ``evaluate_conflict`` result (the headline confidence rule)."""
    from streammsa.training.evaluation.conflict import HEADLINE_RULE

    out = {}
    for split in ("valid", "test"):
        s = res["signal"][HEADLINE_RULE][split]
        out[split] = {
            "composed_roc_auc": s["composed"]["roc_auc"],
            "naming": s["naming"]["accuracy"],
            "naming_by_modality": {m: v["accuracy"] for m, v in s["naming"]["by_modality"].items()},
            "polarity_roc_auc": s["polarity_roc_auc"],
            "ravdess_statements": s["ravdess_statements"]["roc_auc"],
        }
    return out


def signal_comparison(
    voices: dict[str, Any], checkpoint: str, data: Path, log: Callable[[str], None] = print
) -> dict[str, dict[str, Any]]:
    """``signal_figures`` with each voice reader of ``voices`` (label -> reader; None: the shipped one), one
    conflict evaluation each, in order."""
    import json
    import time

    out = {}
    for label, voice in voices.items():
        t0 = time.perf_counter()
        out[label] = signal_figures(conflict_with(voice, checkpoint, data))
        log(f"{label} ({time.perf_counter() - t0:.0f} s): {json.dumps(out[label]['test'])}")
    return out


def add_experiment_options(p: Any) -> None:
    """The options every voice experiment script shares: data, composed dataset, checkpoint, whether to read the
    conflict signal, where to write the JSON."""
    from streammsa.datasets.build import DEFAULT_OUT
    from streammsa.paths import shared_data

    p.add_argument("--data", type=Path, default=shared_data())
    p.add_argument("--composed", type=Path, default=DEFAULT_OUT.expanduser(), help="the composed dataset")
    p.add_argument("--checkpoint", default="models/cacr_monitor.pt")
    p.add_argument("--no-conflict", action="store_true", help="only the held-out voices")
    p.add_argument("--json-out", type=Path)


def run_experiment(a: Any, body: Callable[[], dict[str, Any]]) -> int:
    """A voice experiment script's run: ``body()``'s record written to ``--json-out``; a ``StreamMSAError`` is one
    line on stderr and the script's exit code."""
    import json
    import sys

    from streammsa.errors import StreamMSAError
    from streammsa.training.evaluation.scoring import clean

    try:
        res = body()
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if a.json_out:
        out = Path(a.json_out).expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(clean(res), indent=1) + "\n")
    return 0
