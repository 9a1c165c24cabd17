"""`import streammsa` is light and exports the documented API."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import streammsa

HEAVY = ("torch", "av", "cv2", "mediapipe", "numpy", "faster_whisper", "transformers", "tokenizers", "websockets")


def test_importing_streammsa_loads_none_of_the_pipeline():
    code = f"import json, sys, streammsa; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", sorted(set(streammsa.__all__) - {"MODALITIES", "__version__"}))
def test_every_exported_name_resolves(name):
    assert getattr(streammsa, name) is not None
    assert name in dir(streammsa)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'open_everything'"):
        _ = streammsa.open_everything


def test_opening_a_missing_file_is_one_input_error_line_before_any_model_loads(tmp_path):
    with pytest.raises(streammsa.InputError) as err:
        streammsa.open_file(tmp_path / "nope.mp4")
    assert "no such file" in str(err.value) and "\n" not in str(err.value)
