"""FaceFeatureExtractor: real MediaPipe FaceLandmarker + FER TFLite on real faces."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import VideoFrame
from streammsa.errors import InputError
from streammsa.features.vision import (
    BLENDSHAPE_SLICE,
    BLENDSHAPES,
    DIM,
    FEATURE_NAMES,
    FER_SLICE,
    POSE_SLICE,
    FaceFeatureExtractor,
    RateGate,
    default_vision_spec,
    square_crop,
)

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def grid_frames(grid_clip: Path) -> list[tuple[np.ndarray, float]]:
    with av.open(str(grid_clip)) as container:
        return [(f.to_ndarray(format="rgb24"), float(f.time)) for f in container.decode(video=0)]


@pytest.fixture()
def extractor():
    with FaceFeatureExtractor() as fx:
        yield fx


def test_grid_frames_give_blendshapes_pose_and_expression_probabilities(extractor, grid_frames):
    for img, t in grid_frames[:3]:
        v = extractor.process(img, t)
        assert v is not None and v.shape == (DIM,) and v.dtype == np.float32
        bs = v[BLENDSHAPE_SLICE]
        assert bs.shape == (52,) and np.all((bs >= 0) & (bs <= 1))
        fer = v[FER_SLICE]
        assert fer.shape == (7,) and fer.sum() == pytest.approx(1.0, abs=1e-4) and np.all(fer >= 0)
        assert np.all(np.abs(v[POSE_SLICE]) < np.radians(20))  # a GRID speaker faces the camera
    assert extractor.frames_analysed == extractor.faces_found == 3
    x0, y0, x1, y1 = extractor.last_bbox
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_blank_frame_has_no_face(extractor):
    assert extractor.process(np.zeros((288, 360, 3), dtype=np.uint8), 0.0) is None
    assert extractor.process_image(np.full((200, 200), 128, dtype=np.uint8)) is None
    assert extractor.frames_analysed == 2 and extractor.faces_found == 0


def test_rate_gate_analyses_10_of_25_frames_per_second(extractor, grid_frames):
    analysed = [t for img, t in grid_frames if extractor.due(t) and extractor.process(img, t) is not None]
    duration = grid_frames[-1][1] + 0.04
    assert len(analysed) == pytest.approx(duration * 10, abs=1)
    assert extractor.frames_analysed == len(analysed)
    # exactly one analysed frame in each 0.1 s slot: the first frame at or after the slot start
    slots = np.floor(np.asarray(analysed) / 0.1 + 1e-6).astype(int)
    assert list(slots) == list(range(len(analysed)))
    assert not extractor.due(0.0)  # a clock that restarts waits for the old schedule...
    extractor.reset_rate()
    assert extractor.due(0.0)  # ...unless the gate is reset for the new stream


def test_repeated_or_equal_timestamps_are_accepted(extractor, grid_frames):
    img = grid_frames[0][0]
    assert extractor.process(img, 1.0) is not None
    assert extractor.process(img, 1.0) is not None  # a frame is read on its own: its time does not matter
    assert extractor.process(img, 0.9995) is not None


def test_blendshape_order_matches_mediapipe():
    from mediapipe.tasks.python.vision.face_landmarker import Blendshapes

    def snake(name: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name.lstrip("_")).upper()

    assert [snake(n) for n in BLENDSHAPES] == [b.name for b in sorted(Blendshapes, key=int)]
    assert len(FEATURE_NAMES) == DIM == default_vision_spec().dim == 52 + 3 + 7


def test_mirroring_flips_yaw_and_roll_and_rotation_changes_roll(extractor, grid_frames):
    img = grid_frames[0][0]
    yaw, pitch, roll = extractor.process_image(img)[POSE_SLICE]
    m_yaw, m_pitch, m_roll = extractor.process_image(np.ascontiguousarray(img[:, ::-1]))[POSE_SLICE]
    assert np.sign(m_yaw) == -np.sign(yaw) and np.sign(m_roll) == -np.sign(roll)
    assert m_pitch == pytest.approx(pitch, abs=np.radians(3))
    h, w = img.shape[:2]
    rolls = []
    for angle in (-15, 15):
        rot = cv2.warpAffine(img, cv2.getRotationMatrix2D((w * 0.45, h * 0.6), angle, 1.0), (w, h))
        rolls.append(extractor.process_image(rot)[POSE_SLICE][2])
    assert np.degrees(rolls[1] - rolls[0]) == pytest.approx(30, abs=5)


def test_face_photos_work_and_expressions_separate_happy_from_neutral(extractor, shared_data: Path):
    with open(shared_data / "faces" / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    happy_i, smile_i = FEATURE_NAMES.index("fer_happy"), FEATURE_NAMES.index("bs_mouthSmileLeft")
    means = {}
    for emotion in ("happiness", "neutral"):
        names = sorted(r["image"] for r in rows if r["emotion"].lower() == emotion)[:8]
        feats = []
        for name in names:
            grey = cv2.imread(str(shared_data / "faces" / "images" / name), cv2.IMREAD_GRAYSCALE)
            v = extractor.process_image(grey)
            if v is not None:
                feats.append(v)
        assert len(feats) >= 6, f"MediaPipe found faces in only {len(feats)} of 8 {emotion} photos"
        means[emotion] = np.mean(feats, axis=0)
    assert means["happiness"][happy_i] > 0.5 > means["neutral"][happy_i]
    assert means["happiness"][smile_i] > means["neutral"][smile_i] + 0.2


def test_bad_images_are_clear_errors(extractor):
    with pytest.raises(InputError, match="uint8"):
        extractor.process(np.zeros((64, 64, 3), dtype=np.float32), 0.0)
    with pytest.raises(InputError, match="HxWx3"):
        extractor.process(np.zeros((64, 64, 2), dtype=np.uint8), 0.0)


def test_closed_extractor_refuses_work(grid_frames):
    fx = FaceFeatureExtractor()
    fx.close()
    fx.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        fx.process(grid_frames[0][0], 0.0)


@pytest.mark.parametrize("fps", [25.0, 30.0, 29.97, 12.5, 60.0])
def test_a_gate_fed_only_what_another_gate_passed_passes_all_of_it(fps):
    times = [0.013 + i / fps for i in range(int(fps * 20))]  # 20 s of a camera that started off the grid
    first = RateGate(10.0)
    passed = [t for t in times if first(t)]
    assert len(passed) == pytest.approx(200, abs=1)
    second = RateGate(10.0)
    assert all(second(t) for t in passed)  # so a source may drop what the analyser's gate would skip
    again = RateGate(10.0)
    assert [t for t in times if again(t)] == passed  # and the same frames give the same decisions


def test_source_converting_only_frames_the_gate_passes_gives_the_same_features(grid_clip):
    def features(frame_filter):
        with FaceFeatureExtractor() as fx, MediaFileSource(grid_clip, audio=False) as src:
            src.frame_filter = frame_filter(fx)
            frames = [p for p in src if isinstance(p, VideoFrame)]
            return len(frames), [(f.t, fx.process(f.image, f.t)) for f in frames if fx.due(f.t)]

    n_all, every = features(lambda fx: None)
    n_some, gated = features(lambda fx: fx.rate_gate())
    assert n_some < n_all * 0.5  # 10 of 25 frames per second (+ the last frame) are converted
    assert [t for t, _ in gated] == [t for t, _ in every]
    for (_, a), (_, b) in zip(gated, every):
        np.testing.assert_array_equal(a, b)  # bit for bit: the same frames, analysed in the same order


def test_crop_of_the_colour_frame_turned_grey_equals_the_crop_of_the_grey_frame(grid_frames):
    img = grid_frames[0][0]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    for xs, ys in (
        (np.array([120.0, 230.0]), np.array([60.0, 200.0])),  # inside the frame
        (np.array([-30.0, 90.0]), np.array([200.0, 330.0])),  # over two edges: replicated
    ):
        colour = square_crop(img, xs, ys, 1.2)
        np.testing.assert_array_equal(cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY), square_crop(grey, xs, ys, 1.2))
    assert w == 360 and h == 288


def test_loading_the_extractor_keeps_native_chatter_off_the_terminal():
    # a fresh process, as a user's: what MediaPipe/TFLite write while the model loads stays off stderr,
    # and the debug log (-vv) still shows it
    code = (
        "from streammsa import log; log.configure(2); "
        "from streammsa.features.vision import FaceFeatureExtractor; FaceFeatureExtractor().close()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    chatter = [ln for ln in done.stderr.splitlines() if ln.startswith(("W0000", "I0000", "INFO: Created"))]
    assert chatter == [], done.stderr
    assert "face_landmarker_graph" in done.stderr  # as a DEBUG record of streammsa.native


def test_a_native_line_that_is_not_chatter_still_reaches_stderr(capfd):
    import os

    from streammsa import native_stderr

    with native_stderr.quiet():
        os.write(2, b"W0000 00:00:1796100550.725694   31102 graph.cc:181] chatter\n")
        os.write(2, b"E0000 00:00:1796100550.725694   31102 graph.cc:182] a real failure\n")
    err = capfd.readouterr().err
    assert "a real failure" in err and "chatter" not in err


def test_a_face_held_still_reads_the_same_in_every_frame_as_its_photo(extractor, shared_data: Path):
    """A still face played as video gives its photo's features in every frame: no tracking drift (issue #10:
    VIDEO-mode tracking moved an angry face's blendshapes by up to 0.5 within half a second)."""
    labels = (shared_data / "faces" / "labels.csv").read_text().splitlines()
    name = next(line.split(",")[0] for line in labels[1:] if ",anger," in line)
    rgb = cv2.cvtColor(cv2.imread(str(shared_data / "faces" / "images" / name)), cv2.COLOR_BGR2RGB)
    photo = extractor.process_image(rgb)
    assert photo is not None
    frames = [extractor.process(rgb, i / 10.0) for i in range(12)]
    assert all(f is not None for f in frames)
    assert max(float(np.abs(f - photo).max()) for f in frames) < 1e-5


DRAWING_DEFERRED = """
import sys
import numpy as np
from streammsa.features.vision import FaceFeatureExtractor
extractor = FaceFeatureExtractor()
extractor.process_image(np.zeros((64, 64, 3), np.uint8))
print("after a face read:", "matplotlib" in sys.modules)
from mediapipe.tasks.python.vision import drawing_styles, drawing_utils
spec = drawing_utils.DrawingSpec(color=(0, 255, 0))
print("drawing works:", spec.color == (0, 255, 0), drawing_styles.get_default_face_mesh_contours_style() is not None)
print("after drawing:", "matplotlib" in sys.modules)
"""


def test_mediapipe_drawing_helpers_load_only_when_used():
    """Issue #12 (start-up): reading faces never imports matplotlib (MediaPipe's drawing helpers pull in its pyplot,
    about 0.5 CPU-s), and a program that draws still gets the helpers whole."""
    proc = subprocess.run([sys.executable, "-c", DRAWING_DEFERRED], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "after a face read: False",
        "drawing works: True True",
        "after drawing: True",
    ]
