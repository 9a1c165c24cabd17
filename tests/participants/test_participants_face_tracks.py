"""FaceTracker: every face in view with a stable id (real MediaPipe landmarker on real GRID faces)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streammsa.features.face_tracks import FaceTracker, FaceTrackerConfig, Track, link
from streammsa.participants.sources import video_frames


def _track(i: int, box) -> Track:
    return Track(i, 0.0, 0.0, box)


def test_link_keeps_ids_by_overlap_then_by_nearness_and_opens_new_ones():
    tracks = [_track(0, (0.1, 0.1, 0.3, 0.4)), _track(1, (0.6, 0.1, 0.8, 0.4))]
    boxes = [(0.62, 0.12, 0.82, 0.42), (0.11, 0.1, 0.31, 0.4), (0.4, 0.7, 0.5, 0.9)]
    assert link(tracks, boxes, 0.2) == [1, 0, None]
    moved = [(0.2, 0.15, 0.4, 0.45)]  # IoU with track 0 below 0.2 but its centre moved little
    assert link(tracks[:1], moved, 0.5) == [0]
    assert link([], boxes, 0.2) == [None, None, None]


@pytest.mark.data
def test_faces_side_by_side_keep_their_ids_while_they_move(grid_clip: Path, shared_data: Path):
    left = video_frames(grid_clip)
    right = video_frames(shared_data / "grid" / "lrwp9a.mpg")
    n = min(len(left), len(right), 40)
    with FaceTracker(FaceTrackerConfig(max_faces=3)) as tracker:
        for k in range(n):
            canvas = np.zeros((288, 760, 3), np.uint8)
            shift = k  # the left face drifts right one pixel per frame
            canvas[:, shift : shift + 360] = left[k]
            canvas[:, 400:760] = right[k]
            faces = tracker.process(canvas, k / 25)
            assert len(faces) == 2
        assert len(tracker.tracks) == 2
        by_x = sorted(tracker.tracks.values(), key=lambda tr: tr.bbox[0])
        assert all(tr.seen == n for tr in by_x)
        assert by_x[0].observations[-1].bbox[0] > by_x[0].observations[0].bbox[0]  # it did move


@pytest.mark.data
def test_a_speaking_mouth_moves_more_than_a_resting_one(grid_clip: Path):
    frames = video_frames(grid_clip)  # bbaf2n: silent for the first 0.4 s, speaking from about 1.0 s to 2.1 s
    with FaceTracker(FaceTrackerConfig(max_faces=1)) as tracker:
        opening = [tracker.process(f, k / 25)[0].mouth_open for k, f in enumerate(frames)]
    resting, speaking = np.array(opening[:10]), np.array(opening[25:52])
    assert speaking.std() > 3 * resting.std() and speaking.max() > resting.max() + 0.05


@pytest.mark.data
def test_per_face_features_match_the_monitor_layout_when_given_an_expression_model(grid_clip: Path):
    from streammsa.features.vision import DIM, FER_SLICE, FaceFeatureExtractor

    frames = video_frames(grid_clip)[:3]
    with FaceFeatureExtractor() as fx, FaceTracker(expression=fx.expression) as tracker:
        faces = [o for k, f in enumerate(frames) for o in tracker.process(f, k / 25)]
    assert faces and all(o.features is not None and o.features.shape == (DIM,) for o in faces)
    assert all(abs(float(o.features[FER_SLICE].sum()) - 1.0) < 1e-3 for o in faces)
