"""CameraSource reads through OpenCV: a video file stands in for a webcam on this camera-less machine."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from support.media import write_media

from streammsa.capture.camera import CameraSource
from streammsa.errors import DeviceError, InputError


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("camera") / "cam.mkv"
    # Left half red, right half blue: proves BGR->RGB conversion.
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32, 0] = 200
    img[:, 32:, 2] = 200
    write_media(path, [img] * 15, fps=15)
    return path


def test_file_path_camera_yields_rgb_frames_with_media_timestamps(video):
    with CameraSource(str(video)) as cam:
        assert not cam.is_live
        frames = list(cam)
    assert len(frames) == 15
    f = frames[0].image
    assert f.shape == (48, 64, 3) and f.dtype == np.uint8
    assert f[:, :28, 0].mean() > 150 and f[:, :28, 2].mean() < 50
    assert f[:, 36:, 2].mean() > 150
    ts = [p.t for p in frames]
    assert ts == sorted(ts) and ts[-1] - ts[0] == pytest.approx(14 / 15, abs=0.05)


def test_missing_camera_index_names_the_alternatives():
    with pytest.raises(DeviceError) as exc:
        CameraSource(7)
    msg = str(exc.value)
    assert "no camera at index 7" in msg and "streammsa devices" in msg and "streammsa replay FILE" in msg


def test_missing_camera_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="check the path"):
        CameraSource(str(tmp_path / "none.mp4"))


def test_live_camera_that_stalls_reports_retries_with_backoff_and_recovers(video):
    states = []
    cam = CameraSource(str(video), live=True, max_retries=3, backoff_s=0.01)
    cam.on_status = lambda state, detail: states.append(state)
    frames = []
    for frame in cam:  # end of file acts as the stall; reopening the file is the recovery
        frames.append(frame)
        if len(frames) == 25:
            break
    cam.close()
    assert states[:3] == ["stalled", "retrying", "running"]
    assert cam.retries == 1
    ts = [f.t for f in frames]
    assert ts == sorted(ts)  # live frames are stamped by the monotonic stream clock


def test_live_camera_gives_up_with_a_device_error_after_max_retries(video, tmp_path):
    path = tmp_path / "unplug.mkv"
    shutil.copy(video, path)
    states = []
    cam = CameraSource(str(path), live=True, max_retries=2, backoff_s=0.01)
    cam.on_status = lambda state, detail: states.append(state)
    path.unlink()  # the "camera" disappears: reopening must fail
    with pytest.raises(DeviceError, match="did not come back after 2 retries"):
        for _ in cam:
            pass
    assert states == ["stalled", "retrying", "retrying"]
    assert cam.frames == 15  # what was captured before the stall was delivered
