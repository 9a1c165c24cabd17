"""Every face in view, each with a stable track id across frames, and how open its mouth is.

The monitor's ``FaceFeatureExtractor`` (``vision.py``) reads only the most confident face. In a
meeting several people are in view: ``FaceTracker`` runs MediaPipe's FaceLandmarker with
``num_faces`` (VIDEO mode) and links each frame's faces to the tracks of the frames before by box
overlap (IoU, one-to-one, Hungarian), falling back to the nearest centre for a face that moved
fast; a track not seen for ``max_missing_s`` ends, and a face that comes back later gets a new id.

Per face and analysed frame it gives a ``FaceObservation``: the normalised box, the mouth opening
(inner-lip gap over mouth width, from landmarks 13/14 and 78/308), the ``jawOpen`` blendshape, and,
when an ``expression`` function is given (e.g. ``FaceFeatureExtractor.expression``), the same 62
features as ``vision.py`` (blendshapes, head pose, FER) so each participant can have its own
vision stream.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from streammsa import assets, native_stderr
from streammsa.errors import InputError
from streammsa.features.vision import (
    BLENDSHAPE_SLICE,
    BLENDSHAPES,
    CROP_SCALE,
    DIM,
    FER_SLICE,
    POSE_SLICE,
    RateGate,
    _as_rgb,
    head_pose,
    square_crop,
)

JAW_OPEN = BLENDSHAPES.index("jawOpen")
LIP_UPPER, LIP_LOWER, LIP_LEFT, LIP_RIGHT = 13, 14, 78, 308  # inner-lip landmarks of the 478-point mesh


@dataclass(frozen=True)
class FaceTrackerConfig:
    max_faces: int = 4
    fps: float = 10.0  # analysed frames per second (frames in between are skipped)
    min_iou: float = 0.2  # a face continues a track when their boxes overlap at least this much
    max_missing_s: float = 2.0  # a track not seen for longer ends
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


@dataclass(frozen=True)
class FaceObservation:
    track: int
    t: float
    bbox: tuple[float, float, float, float]  # normalised (x0, y0, x1, y1)
    mouth_open: float  # inner-lip gap / mouth width
    jaw_open: float  # MediaPipe blendshape in [0, 1]
    features: np.ndarray | None = None  # (62,) as vision.py, when the tracker has an expression function

    @property
    def centre(self) -> tuple[float, float]:
        return 0.5 * (self.bbox[0] + self.bbox[2]), 0.5 * (self.bbox[1] + self.bbox[3])


@dataclass
class Track:
    id: int
    first_t: float
    last_t: float
    bbox: tuple[float, float, float, float]
    seen: int = 1
    observations: list[FaceObservation] = field(default_factory=list, repr=False)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def link(tracks: list[Track], boxes: list[tuple[float, float, float, float]], min_iou: float) -> list[int | None]:
    """For each box, the index in ``tracks`` it continues (one-to-one), or None for a new face.

    Pairs are chosen to maximise total IoU; a box overlapping no track by ``min_iou`` may still take
    the track whose centre is within half that track's box diagonal (a fast move between frames)."""
    from scipy.optimize import linear_sum_assignment

    out: list[int | None] = [None] * len(boxes)
    if not tracks or not boxes:
        return out
    score = np.zeros((len(boxes), len(tracks)))
    for i, b in enumerate(boxes):
        for j, tr in enumerate(tracks):
            o = iou(b, tr.bbox)
            if o >= min_iou:
                score[i, j] = 1.0 + o
            else:
                d = math.dist(_centre(b), _centre(tr.bbox))
                reach = 0.5 * math.dist(tr.bbox[:2], tr.bbox[2:])
                if d < reach:
                    score[i, j] = 1.0 - d / reach  # below any IoU match: overlap wins
    rows, cols = linear_sum_assignment(-score)
    for i, j in zip(rows, cols):
        if score[i, j] > 0:
            out[i] = int(j)
    return out


def _centre(b: tuple[float, ...]) -> tuple[float, float]:
    return 0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])


def mouth_opening(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> float:
    """Inner-lip gap over mouth width, in pixels (so non-square frames do not distort it)."""
    gap = math.hypot((xs[LIP_LOWER] - xs[LIP_UPPER]) * width, (ys[LIP_LOWER] - ys[LIP_UPPER]) * height)
    span = math.hypot((xs[LIP_RIGHT] - xs[LIP_LEFT]) * width, (ys[LIP_RIGHT] - ys[LIP_LEFT]) * height)
    return gap / span if span > 0 else 0.0


class FaceTracker:
    """``due(t)``: rate gate; ``process(frame_rgb, t) -> [FaceObservation]`` (increasing ``t``);
    ``tracks``: every track so far. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        config: FaceTrackerConfig | None = None,
        landmarker_path: str | Path | None = None,
        expression: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        from streammsa.features.mediapipe_tasks import BaseOptions, vision

        self.config = cfg = config or FaceTrackerConfig()
        if cfg.max_faces < 1 or not cfg.fps > 0:
            raise InputError(f"face tracking needs max_faces >= 1 and fps > 0, got {cfg.max_faces} and {cfg.fps}")
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(landmarker_path or assets.face_landmarker_task())),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=cfg.max_faces,
            min_face_detection_confidence=cfg.min_detection_confidence,
            min_face_presence_confidence=cfg.min_presence_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=expression is not None,
        )
        with native_stderr.quiet():  # MediaPipe/TFLite announce their delegates on stderr
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        self._expression = expression
        self._last_ms = -1
        self._gate = RateGate(cfg.fps)
        self.tracks: dict[int, Track] = {}
        self.frames_analysed = 0

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def due(self, t: float) -> bool:
        """True when a frame at ``t`` should be analysed to keep ``fps`` (vision.py's rate gate)."""
        return self._gate(t)

    def live_tracks(self, t: float) -> list[Track]:
        return [tr for tr in self.tracks.values() if t - tr.last_t <= self.config.max_missing_s]

    def process(self, frame_rgb: np.ndarray, t: float) -> list[FaceObservation]:
        from streammsa.features.mediapipe_tasks import Image, ImageFormat

        if self._landmarker is None:
            raise RuntimeError("FaceTracker is closed")
        rgb = _as_rgb(frame_rgb)
        ts = max(int(round(t * 1000.0)), self._last_ms + 1)  # VIDEO mode: strictly increasing ms
        self._last_ms = ts
        result = self._landmarker.detect_for_video(Image(image_format=ImageFormat.SRGB, data=rgb), ts)
        self.frames_analysed += 1
        h, w = rgb.shape[:2]
        faces = []
        for i, marks in enumerate(result.face_landmarks or []):
            xs = np.array([p.x for p in marks], dtype=np.float32)
            ys = np.array([p.y for p in marks], dtype=np.float32)
            box = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
            faces.append((i, xs, ys, box))
        live = self.live_tracks(t)
        links = link(live, [f[3] for f in faces], self.config.min_iou)
        grey = None
        out = []
        for (i, xs, ys, box), j in zip(faces, links):
            if j is None:
                track = Track(len(self.tracks), t, t, box)
                self.tracks[track.id] = track
            else:
                track = live[j]
                track.last_t, track.bbox, track.seen = t, box, track.seen + 1
            scores = [c.score for c in result.face_blendshapes[i]] if result.face_blendshapes else []
            feats = None
            if self._expression is not None and scores:
                if grey is None:
                    import cv2

                    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
                feats = np.zeros(DIM, dtype=np.float32)
                feats[BLENDSHAPE_SLICE] = scores
                if result.facial_transformation_matrixes:
                    feats[POSE_SLICE] = head_pose(np.asarray(result.facial_transformation_matrixes[i]))
                feats[FER_SLICE] = self._expression(square_crop(grey, xs * w, ys * h, CROP_SCALE))
            obs = FaceObservation(
                track.id, t, box, mouth_opening(xs, ys, w, h), float(scores[JAW_OPEN]) if scores else 0.0, feats
            )
            track.observations.append(obs)
            out.append(obs)
        return out
