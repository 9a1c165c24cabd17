"""`streammsa devices` on a machine without camera or sound card: exit 0, says so plainly."""

from __future__ import annotations

import json
import subprocess
import sys

from streammsa.capture.devices import list_audio_inputs, list_cameras
from streammsa.cli import main


def test_devices_lists_what_this_machine_has(capsys):
    cameras, audio = list_cameras(), list_audio_inputs()
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "cameras:" in out and "audio input devices:" in out
    if not cameras:
        assert "no cameras found" in out
    for cam in cameras:
        assert f"{cam.index}: {cam.width}x{cam.height}" in out
    if not audio:
        assert "no audio input devices found" in out
        assert "streammsa replay FILE" in out
    for dev in audio:
        assert dev.name in out


def test_devices_json_is_one_parseable_object():
    proc = subprocess.run(
        [sys.executable, "-m", "streammsa", "devices", "--json"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert set(data) == {"cameras", "audio_inputs", "audio_error"}
    assert data["cameras"] == [c.__dict__ for c in list_cameras()]
    # Probing cameras must not spray OpenCV warnings at the user.
    assert "WARN" not in proc.stderr and "ERROR" not in proc.stderr
