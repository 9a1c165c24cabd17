"""Streaming voice-activity detection: Silero VAD (the model faster-whisper ships) one 32-ms frame at a time.

``SileroVad.push(samples)`` returns the speech probability of every complete 512-sample frame the
new samples finish; the LSTM state and the 64-sample context carry over between calls, so pushing a
clip in any chunking gives the probabilities faster-whisper computes on the whole clip.

``Endpointer`` turns probabilities into speech segments with hysteresis (speech from ``threshold``
up, silence below ``neg_threshold``): a segment starts at its first speech frame and ends once
``min_silence_s`` of silence followed it (a shorter pause stays inside the segment).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE

FRAME = 512  # samples per Silero frame at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous frame Silero v5+ reads before each frame
FRAME_S = FRAME / SAMPLE_RATE


def silero_model_path() -> Path:
    """faster-whisper's ``silero_vad_v6.onnx``, found without importing faster-whisper: its import loads
    CTranslate2, tokenizers and PyAV, which a paced run does not need (a quarter of a second at start-up)."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        from streammsa.assets import install_hint
        from streammsa.errors import InputError

        hint = install_hint("faster_whisper")
        raise InputError(f"package 'faster-whisper' (it holds the Silero VAD model) is not installed; {hint}")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "silero_vad_v6.onnx"


def silero_session(memory_arena: bool = True) -> Any:
    """An onnxruntime session of Silero VAD on one thread (``memory_arena=False``: as faster-whisper makes it)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.enable_cpu_mem_arena = memory_arena
    opts.log_severity_level = 4
    return ort.InferenceSession(str(silero_model_path()), opts, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class VadConfig:
    threshold: float = 0.5  # Silero's usual speech threshold
    neg_threshold: float = 0.35  # below this a frame is silence (between the two: the previous state holds)
    # a pause this long ends a segment: the last words of a segment are committed after it, so it is a
    # floor on their commit latency; 0.4 s keeps GRID's and espeak's inter-word gaps inside one segment
    min_silence_s: float = 0.4
    min_speech_s: float = 0.1  # a burst shorter than this (a click) does not start a segment


class SileroVad:
    def __init__(self) -> None:
        self.session = silero_session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Speech probabilities of the frames completed by ``samples`` (possibly none)."""
        x = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        n = len(x) // FRAME
        self._pending = x[n * FRAME :]
        if n == 0:
            return np.zeros(0, np.float32)
        frames = x[: n * FRAME].reshape(n, FRAME)
        contexts = np.concatenate([self._context[None], frames[:-1, -CONTEXT:]], axis=0)
        self._context = frames[-1, -CONTEXT:].copy()
        batch = np.concatenate([contexts, frames], axis=1)
        out, self._h, self._c = self.session.run(None, {"input": batch, "h": self._h, "c": self._c})
        return np.asarray(out, np.float32).reshape(-1)


@dataclass
class Endpointer:
    """Speech segments from frame probabilities; all state is these few fields."""

    config: VadConfig
    in_speech: bool = False
    start: float = 0.0  # stream time of the current segment's first speech frame
    last_speech: float = 0.0  # end of the last frame at or above neg_threshold in the segment
    _candidate: float | None = None  # start of a speech burst not yet long enough to count

    def feed(self, prob: float, t: float) -> str | None:
        """One frame starting at stream time ``t``; returns "start", "end" or None."""
        cfg = self.config
        if not self.in_speech:
            if prob < cfg.threshold:
                self._candidate = None
                return None
            if self._candidate is None:
                self._candidate = t
            if t + FRAME_S - self._candidate < cfg.min_speech_s:
                return None
            self.in_speech, self.start, self.last_speech, self._candidate = True, self._candidate, t + FRAME_S, None
            return "start"
        if prob >= cfg.neg_threshold:
            self.last_speech = t + FRAME_S
            return None
        if t + FRAME_S - self.last_speech >= cfg.min_silence_s:
            self.in_speech = False
            return "end"
        return None
