"""Speech probability every 32 ms (Silero VAD v6, bundled with faster-whisper; MIT), streaming.

The monitor reads a voice only where there is speech: silence, noise, music or a tone carry no
evidence about how someone sounds, and a voice model reading them produces confident nonsense.
``VoiceActivity.stream(t0).push(samples)`` returns one probability per 512-sample frame, timed at
the frame's start on the stream clock, exactly as ``detect`` does on a whole clip.

Each model call computes what faster-whisper's ``SileroVADModel`` computes (``get_vad_model()``, which the
monitor was calibrated with), without importing faster-whisper: its import loads CTranslate2, tokenizers
and PyAV at start-up, where a paced run needs none of them (``tests/features`` checks the equality).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.features.timed import TimedFeatures

FRAME = 512  # Silero's frame at 16 kHz: 32 ms
CONTEXT = 64  # samples of the previous frame Silero v5+ reads before each frame
CALL_FRAMES = 10000  # frames per session call (faster-whisper's encoder_batch_size)
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
        from streammsa.asr.vad import silero_session  # the ONNX model file ships inside faster-whisper

        self.config = config or VoiceActivityConfig()
        self._session = silero_session(memory_arena=False)

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Speech probability of each whole 512-sample frame of ``samples`` (a partial tail is ignored)."""
        n = (len(samples) // FRAME) * FRAME
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        frames = np.array(samples[:n], dtype=np.float32).reshape(-1, FRAME)  # a copy: the caller's samples stay
        # as SileroVADModel.__call__: the state starts at zero, each frame reads the previous frame's last 64
        # samples (the first reads silence), and the last frame's own last 64 samples read as silence (its
        # context view is zeroed in place there), kept so the probabilities stay exactly the calibrated ones
        context = frames[:, -CONTEXT:].copy()
        context[-1] = 0
        frames[-1, -CONTEXT:] = 0
        batch = np.concatenate([np.roll(context, 1, 0), frames], axis=1)
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        out = []
        for i in range(0, len(batch), CALL_FRAMES):
            probs, h, c = self._session.run(None, {"input": batch[i : i + CALL_FRAMES], "h": h, "c": c})
            out.append(probs)
        return np.asarray(np.concatenate(out, axis=0), dtype=np.float32).reshape(-1)

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
