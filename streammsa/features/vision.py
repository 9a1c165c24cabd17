"""Face features: 52 MediaPipe blendshapes + head pose + 7 FER expression probabilities (62 values).

Per analysed frame (default 10 per second; frames in between are skipped, not analysed):

- ``bs_*`` (52): MediaPipe FaceLandmarker blendshape scores in [0, 1] (Tasks API, IMAGE
  running mode, one face: the most confident);
- ``head_yaw``, ``head_pitch``, ``head_roll`` (3): radians, from the rotation part of the
  facial transformation matrix (Z-Y-X order: R = Rz(roll) Ry(yaw) Rx(pitch)); a frontal
  face is near 0 and mirroring the image negates yaw and roll;
- ``fer_*`` (7): probabilities of angry, disgust, fear, happy, sad, surprise, neutral from
  the FER TFLite classifier, run on a 64x64 grey square crop around the landmarks (the
  landmarks' bounding box enlarged 20%), pixels scaled to [-1, 1] as FER was trained.

No face -> ``None``: vision is *absent* for that frame (a mask, never zeros).

Every analysed frame is read on its own (IMAGE mode: the face is detected in each frame), as the face photos
the models learn expressions from are. VIDEO mode's tracking (landmarks cropped from the previous frame's)
drifts to other blendshapes on a face that holds still: a still angry face read -1.96 from its first frame and
+1.73 half a second later (issue #10). Detection costs about 3 ms more per frame (17 -> 20 ms on 2 cores).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np

from streammsa import assets, native_stderr
from streammsa.errors import InputError
from streammsa.features.spec import ModalitySpec

EXTRACTOR = "face_blendshapes_fer"
DEFAULT_FPS = 10.0
# The monitor analyses one of every DEFAULT_FACE_STRIDE slots of a model's face rate (``--face-stride``): faces
# change slowly against a 4-s window, and 5 analysed frames a second read as 10 do (docs/benchmarks.md, session 17)
DEFAULT_FACE_STRIDE = 2
# A --fast replay analyses one of every FAST_FACE_STRIDE: a 4-s window still holds 10 analysed faces, whose reading
# differs from 40's by 0.03 on average (docs/benchmarks.md, session 19), and the face stage, the largest, halves again
FAST_FACE_STRIDE = 4
CROP_SCALE = 1.2
FER_SIZE = 64

BLENDSHAPES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)  # fmt: skip
POSE = ("head_yaw", "head_pitch", "head_roll")
FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FEATURE_NAMES = tuple(f"bs_{n.lstrip('_')}" for n in BLENDSHAPES) + POSE + tuple(f"fer_{n}" for n in FER_LABELS)
DIM = len(FEATURE_NAMES)
BLENDSHAPE_SLICE = slice(0, len(BLENDSHAPES))
POSE_SLICE = slice(len(BLENDSHAPES), len(BLENDSHAPES) + len(POSE))
FER_SLICE = slice(len(BLENDSHAPES) + len(POSE), DIM)


def default_vision_spec(fps: float = DEFAULT_FPS) -> ModalitySpec:
    """ModalitySpec of ``FaceFeatureExtractor(fps=...)``: 62-d face frames at ``fps``."""
    return ModalitySpec(
        name="vision",
        extractor=EXTRACTOR,
        dim=DIM,
        rate_hz=float(fps),
        feature_names=FEATURE_NAMES,
        params={
            "fps": float(fps),
            "landmarker": "face_landmarker.task",
            "fer_model": "fer/emotion_model_quantized.tflite",
            "fer_input": "64x64 grey, (x/255-0.5)*2",
            "fer_labels": list(FER_LABELS),
            "crop_scale": CROP_SCALE,
            "pose": "radians zyx from facial transformation matrix",
            "num_faces": 1,
        },
    )


class RateGate:
    """Which frames to analyse to keep ``fps`` analysed frames per second: the first frame at or after each
    slot of a 1/fps grid that starts at the first frame (call with increasing times).

    The gate changes only when it says True, so a second gate fed just the frames a first one passed passes
    every one of them: a decoder may drop what the analyser's gate would skip without changing what it analyses.
    """

    def __init__(self, fps: float) -> None:
        if not fps > 0:
            raise InputError(f"vision fps must be positive, got {fps}")
        self.period = 1.0 / float(fps)
        self._next_due: float | None = None

    def __call__(self, t: float) -> bool:
        if self._next_due is None:
            self._next_due = t
        if t + 1e-6 < self._next_due:
            return False
        # Skip slots we are already past (a slow consumer never builds a backlog).
        k = math.floor((t - self._next_due) / self.period + 1e-6) + 1
        self._next_due += k * self.period
        return True

    @property
    def next_due(self) -> float | None:
        """The earliest time the gate will pass a frame again (None before the first frame)."""
        return self._next_due

    def reset(self) -> None:
        """A new stream whose clock restarts: the next frame opens a new grid."""
        self._next_due = None


class FaceFeatureExtractor:
    """MediaPipe FaceLandmarker (IMAGE mode, each frame on its own) + FER, one 62-d vector per analysed frame.

    - ``due(t) -> bool``: rate gate; True when a frame at stream time ``t`` should be
      analysed to keep ``fps`` analysed frames per second (books that slot). Frames for
      which it says False are skipped.
    - ``process(frame_rgb, t) -> (62,) float32 | None``: analyse one RGB uint8 HxWx3
      frame at stream time ``t`` seconds; None = no face. The same features as ``process_image``.
    - ``process_image(img) -> (62,) | None``: a still photo (grey HxW or RGB HxWx3 uint8).
    Use as a context manager or call ``close()`` (MediaPipe holds native resources).
    Counters: ``frames_analysed``, ``faces_found``. ``last_bbox``: normalised
    (x0, y0, x1, y1) of the last face found, for overlays.
    """

    def __init__(
        self,
        fps: float = DEFAULT_FPS,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        landmarker_path: str | Path | None = None,
        fer_path: str | Path | None = None,
    ) -> None:
        if not fps > 0:
            raise InputError(f"vision fps must be positive, got {fps}")
        from ai_edge_litert.interpreter import Interpreter

        self.fps = float(fps)
        self._landmarker_path = str(landmarker_path or assets.face_landmarker_task())
        self._confidences = (min_detection_confidence, min_presence_confidence)
        self._landmarker = self._make_landmarker()
        with native_stderr.quiet():  # TFLite announces its XNNPACK delegate on stderr
            self._fer = Interpreter(model_path=str(fer_path or assets.fer_tflite()))
            self._fer.allocate_tensors()
        inp, out = self._fer.get_input_details()[0], self._fer.get_output_details()[0]
        if tuple(inp["shape"]) != (1, FER_SIZE, FER_SIZE, 1) or tuple(out["shape"]) != (1, len(FER_LABELS)):
            raise InputError(f"unexpected FER model shapes {inp['shape']} -> {out['shape']}; expected 64x64x1 -> 7")
        self._fer_in, self._fer_out = inp["index"], out["index"]
        self._lock = threading.RLock()  # expression() is public and also used inside process()
        self._gate = RateGate(self.fps)
        self.frames_analysed = 0
        self.faces_found = 0
        self.last_bbox: tuple[float, float, float, float] | None = None

    @property
    def spec(self) -> ModalitySpec:
        return default_vision_spec(self.fps)

    @classmethod
    def from_spec(cls, spec: ModalitySpec, **kw: Any) -> "FaceFeatureExtractor":
        """The extractor of ``spec``'s features at its rate (a monitor may analyse fewer frames and let each stand for
        the slots up to the next: ``monitor/workers.VisionFeatureWorker``)."""
        if spec.extractor != EXTRACTOR:
            raise InputError(f"vision extractor {spec.extractor!r} is not {EXTRACTOR!r}")
        fps = analysed_fps(spec)
        ours = default_vision_spec(fps)
        if spec.dim != ours.dim or spec.params != ours.params:
            raise InputError(
                f"vision spec (dim {spec.dim}, {spec.params}) differs from this streammsa's {EXTRACTOR} "
                f"(dim {ours.dim}, {ours.params}); retrain or use a matching version"
            )
        return cls(fps=fps, **kw)

    # ---- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
        self._landmarker = None

    def __enter__(self) -> "FaceFeatureExtractor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- public API -------------------------------------------------------------------------

    def due(self, t: float) -> bool:
        """True if a frame at time ``t`` should be analysed (and books it); False = skip it.

        Slots lie on a grid of 1/fps from the first frame; the first frame at or after each
        slot is analysed, so a 25 fps camera gives 10 analysed frames per second at fps=10.
        """
        return self._gate(t)

    @property
    def next_due(self) -> float | None:
        """When ``due`` will next say True at the earliest (the frame after the one analysed last)."""
        return self._gate.next_due

    def rate_gate(self) -> RateGate:
        """A fresh gate deciding as ``due`` does: a source may skip (not even convert) the frames it refuses,
        and ``due`` then passes every frame it delivers, so the analysed frames stay the same."""
        return RateGate(self.fps)

    def reset_rate(self) -> None:
        """Forget the rate gate's schedule (a new stream whose clock restarts); the landmarker keeps no
        state between frames, so it needs no restart."""
        self._gate.reset()

    def process(self, frame_rgb: np.ndarray, t: float) -> np.ndarray | None:
        """Features of one video frame at stream time ``t`` (seconds), or None when no face."""
        return self.process_image(frame_rgb)

    def process_image(self, img: np.ndarray) -> np.ndarray | None:
        """Features of a still image (grey HxW or RGB HxWx3 uint8), or None when no face."""
        from streammsa.features.mediapipe_tasks import Image, ImageFormat

        rgb = _as_rgb(img)
        with self._lock:
            if self._landmarker is None:
                raise RuntimeError("FaceFeatureExtractor is closed")
            result = self._landmarker.detect(Image(image_format=ImageFormat.SRGB, data=rgb))
            return self._features(result, rgb)

    def expression(self, grey_face: np.ndarray) -> np.ndarray:
        """FER probabilities (7,) of a grey face crop of any size (uint8 HxW)."""
        import cv2

        face = cv2.resize(grey_face, (FER_SIZE, FER_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
        face = (face / 255.0 - 0.5) * 2.0
        with self._lock:
            self._fer.set_tensor(self._fer_in, face.reshape(1, FER_SIZE, FER_SIZE, 1))
            self._fer.invoke()
            probs = np.array(self._fer.get_tensor(self._fer_out)[0], dtype=np.float32)
        return probs / max(float(probs.sum()), 1e-6)  # guard against quantisation drift

    # ---- internals --------------------------------------------------------------------------

    def _make_landmarker(self):
        from streammsa.features.mediapipe_tasks import BaseOptions, vision

        det, pres = self._confidences
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=self._landmarker_path),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=1,
            min_face_detection_confidence=det,
            min_face_presence_confidence=pres,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        with native_stderr.quiet():  # MediaPipe logs its graph set-up on stderr
            return vision.FaceLandmarker.create_from_options(options)

    def _features(self, result: Any, rgb: np.ndarray) -> np.ndarray | None:
        import cv2

        self.frames_analysed += 1
        if not result.face_landmarks or not result.face_blendshapes:
            return None
        self.faces_found += 1
        out = np.zeros(DIM, dtype=np.float32)
        out[BLENDSHAPE_SLICE] = [c.score for c in result.face_blendshapes[0]]
        if result.facial_transformation_matrixes:
            out[POSE_SLICE] = head_pose(np.asarray(result.facial_transformation_matrixes[0]))
        h, w = rgb.shape[:2]
        landmarks = result.face_landmarks[0]
        xs = np.fromiter((p.x for p in landmarks), dtype=np.float32, count=len(landmarks))
        ys = np.fromiter((p.y for p in landmarks), dtype=np.float32, count=len(landmarks))
        self.last_bbox = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
        # grey is per pixel, so converting only the crop gives the same pixels as cropping a grey frame
        crop = square_crop(rgb, xs * w, ys * h, CROP_SCALE)
        out[FER_SLICE] = self.expression(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY))
        return out


def analysed_fps(spec: ModalitySpec) -> float:
    """Frames analysed per second under a vision spec."""
    return float(spec.params.get("fps", spec.rate_hz or DEFAULT_FPS))


def face_stride(stride: int) -> int:
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise InputError(f"the face stride must be a whole number of slots >= 1, got {stride!r}")
    return stride


def head_pose(matrix: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) radians from a 4x4 face transformation matrix (scale removed)."""
    r = np.asarray(matrix, dtype=np.float64)[:3, :3]
    r = r / np.maximum(np.linalg.norm(r, axis=0, keepdims=True), 1e-9)
    yaw = math.atan2(-r[2, 0], math.hypot(r[2, 1], r[2, 2]))
    pitch = math.atan2(r[2, 1], r[2, 2])
    roll = math.atan2(r[1, 0], r[0, 0])
    return yaw, pitch, roll


def square_crop(image: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float) -> np.ndarray:
    """A square crop (grey HxW or colour HxWxC) around points (pixels), ``scale`` x their larger extent;
    edges replicated."""
    import cv2

    cx, cy = 0.5 * (xs.min() + xs.max()), 0.5 * (ys.min() + ys.max())
    half = max(0.5 * scale * max(xs.max() - xs.min(), ys.max() - ys.min()), 4.0)
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    x1, y1 = int(round(cx + half)), int(round(cy + half))
    h, w = image.shape[:2]
    crop = image[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    if crop.size == 0:
        crop = image
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y1 - h), max(0, x1 - w)
    if top or left or bottom or right:
        crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return crop


def _as_rgb(img: np.ndarray) -> np.ndarray:
    a = np.asarray(img)
    if a.dtype != np.uint8:
        raise InputError(
            f"images must be uint8, got {a.dtype}; convert with (x * 255).astype(np.uint8) or decode as rgb24"
        )
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 8 or a.shape[1] < 8:
        raise InputError(f"images must be HxWx3 RGB (or HxW grey) uint8, got shape {a.shape}")
    return np.ascontiguousarray(a)
