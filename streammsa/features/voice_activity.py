"""Speech probability every 32 ms (Silero VAD v6, bundled with faster-whisper; MIT), streaming.

The monitor reads a voice only where there is speech: silence, noise, music or a tone carry no
evidence about how someone sounds, and a voice model reading them produces confident nonsense.
``VoiceActivity.stream(t0).push(samples)`` returns one probability per 512-sample frame, timed at
the frame's start on the stream clock, exactly as ``detect`` does on a whole clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.features.timed import TimedFeatures

FRAME = 512  # Silero's frame at 16 kHz: 32 ms
FRAME_S = FRAME / SAMPLE_RATE
RATE_HZ = SAMPLE_RATE / FRAME


@dataclass(frozen=True)
class VoiceActivityConfig:
    threshold: float = 0.5  # a frame is speech above this probability (Silero's own default)
    block_frames: int = 4  # frames per model call (128 ms): a window waits at most this long for its speech track


class VoiceActivity:
    rate_hz = RATE_HZ
    dim = 1

    def __init__(self, config: VoiceActivityConfig | None = None) -> None:
        from faster_whisper.vad import get_vad_model  # the ONNX model file ships inside faster-whisper

        self.config = config or VoiceActivityConfig()
        self._model = get_vad_model()

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Speech probability of each whole 512-sample frame of ``samples`` (a partial tail is ignored)."""
        n = (len(samples) // FRAME) * FRAME
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        out = self._model(np.ascontiguousarray(samples[:n], dtype=np.float32))
        return np.asarray(out, dtype=np.float32).reshape(-1)

    def detect(self, samples: np.ndarray, t0: float = 0.0) -> TimedFeatures:
        """A whole clip at once (the same frames and times as streaming it)."""
        s = self.stream(t0)
        return TimedFeatures.concat([s.push(samples), s.flush()], 1)

    def stream(self, t0: float = 0.0) -> VoiceActivityStream:
        return VoiceActivityStream(self, t0)


class VoiceActivityStream:
    """Buffers pushed samples into whole blocks of frames; frame k starts at ``t0 + k * 32 ms``."""

    def __init__(self, vad: VoiceActivity, t0: float) -> None:
        self.vad = vad
        self.t0 = float(t0)
        self._pending = np.zeros(0, dtype=np.float32)
        self._frames = 0

    def push(self, samples: np.ndarray) -> TimedFeatures:
        self._pending = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32).reshape(-1)])
        block = FRAME * self.vad.config.block_frames
        n = (len(self._pending) // block) * block
        return self._run(n)

    def flush(self) -> TimedFeatures:
        """The last whole frames (a tail shorter than one frame carries no decision)."""
        return self._run((len(self._pending) // FRAME) * FRAME)

    def _run(self, n: int) -> TimedFeatures:
        if n == 0:
            return TimedFeatures.empty(1)
        # one model call per block, whatever the push sizes: the model restarts its state each call,
        # so fixed blocks make streaming and a whole clip give the same probabilities
        block = FRAME * self.vad.config.block_frames
        probs = np.concatenate(
            [self.vad.probabilities(self._pending[i : min(i + block, n)]) for i in range(0, n, block)]
        )
        self._pending = self._pending[n:]
        times = self.t0 + (self._frames + np.arange(len(probs))) * FRAME_S
        self._frames += len(probs)
        return TimedFeatures(times, probs.reshape(-1, 1))


def speech_seconds(probabilities: np.ndarray, threshold: float) -> float:
    """Seconds of speech among frames with these probabilities."""
    p = np.asarray(probabilities, dtype=np.float32).reshape(-1)
    return float(np.count_nonzero(p > threshold) * FRAME_S)
