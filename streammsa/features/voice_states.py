"""Whisper encoder states of a voice, every 20 ms, streaming: what the voice reader reads (the encoder's last layer,
by CTranslate2; the shipped reader reads every layer with its tuned blocks, ``whisper_layers.LayerStates``, which
streams the same way through this class).

The 44-d prosody carries little valence to speakers it never heard; the states of the Whisper tiny.en
encoder (shipped for speech recognition) carry much more (docs/live-results.md, session 5). The encoder
runs on a clip's own length, not padded to 30 s (CTranslate2 accepts short inputs), so one second of audio
costs a few tens of CPU-ms.

``VoiceStates.stream(t0)``: every ``step_s`` of new audio, the encoder reads the last ``context_s`` (the new
step and the audio before it) and the states of the new step are returned, timed on the stream clock.
``flush()`` reads the last partial step. A whole clip is read the same way (``extract``), so the training
features and the monitor's are the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.features.audio import check_samples
from streammsa.features.timed import TimedFeatures

DIM = 384  # tiny.en's width
RATE_HZ = 50.0  # one state per 20 ms (two mel frames of 10 ms)
STATE = int(SAMPLE_RATE / RATE_HZ)  # samples per state
MAX_BATCH = 8  # stretches per encoder call: 4-8 halved the CPU of 30 one by one, 30 at once cost more (measured)


@dataclass(frozen=True)
class VoiceStatesConfig:
    step_s: float = 1.0  # the monitor's hop: one encoder pass per second of audio
    context_s: float = 4.0  # audio the encoder reads per pass (the window length: what a state "hears")
    threads: int = 1


class VoiceStates:
    rate_hz = RATE_HZ
    dim = DIM

    def __init__(self, model_dir: str | Path | None = None, config: VoiceStatesConfig | None = None) -> None:
        import ctranslate2
        from faster_whisper.feature_extractor import FeatureExtractor

        from streammsa import assets

        self.config = config or VoiceStatesConfig()
        self.model_dir = Path(model_dir) if model_dir is not None else assets.whisper_tiny_en()
        self._ct2 = ctranslate2
        self._model = ctranslate2.models.Whisper(
            str(self.model_dir), device="cpu", compute_type="int8", intra_threads=self.config.threads
        )
        self._mel = FeatureExtractor(feature_size=self._model.n_mels)

    def encode(self, samples: np.ndarray) -> np.ndarray:
        """(len(samples) // 320, 384) encoder states of one stretch of audio."""
        return self.encode_many([samples])[0]

    def encode_many(self, stretches: Sequence[np.ndarray]) -> list[np.ndarray]:
        """``encode`` of each stretch; stretches of one length side by side share encoder passes (a backlog of
        steps, e.g. in ``--fast``: the same numbers, bit for bit, for about half the CPU)."""
        out: list[np.ndarray] = []
        i = 0
        while i < len(stretches):
            n = len(stretches[i]) // STATE
            j = i + 1
            while j < len(stretches) and j - i < MAX_BATCH and len(stretches[j]) // STATE == n:
                j += 1
            if n == 0:
                out += [np.zeros((0, self.dim), np.float32) for _ in range(i, j)]
            else:
                mels = [
                    self._mel(np.asarray(x[: n * STATE], np.float32), padding=0)[:, : 2 * n] for x in stretches[i:j]
                ]
                x = self._ct2.StorageView.from_array(np.ascontiguousarray(np.stack(mels).astype(np.float32)))
                states = np.asarray(self._model.encode(x, to_cpu=True), dtype=np.float32)
                out += [s[:n] for s in states]
            i = j
        return out

    def stream(self, t0: float = 0.0) -> VoiceStatesStream:
        return VoiceStatesStream(self, t0)

    def extract(self, samples: np.ndarray, t0: float = 0.0) -> TimedFeatures:
        """A whole clip, read exactly as the stream reads it."""
        s = self.stream(t0)
        return TimedFeatures.concat([s.push(samples), s.flush()], self.dim)


class VoiceStatesStream:
    """Chunk by chunk; keeps ``context_s`` of audio. ``push`` -> the states completed by this chunk (maybe none)."""

    def __init__(self, states: VoiceStates, t0: float = 0.0) -> None:
        self.states = states
        self.t0 = float(t0)
        cfg = states.config
        self._step = int(round(cfg.step_s * RATE_HZ)) * STATE
        self._context = int(round(cfg.context_s * RATE_HZ)) * STATE
        self._buf = np.zeros(0, np.float32)  # the context before the next step, then the audio not yet read
        self._kept = 0  # samples of _buf already read (context only)
        self._done = 0  # states emitted so far
        self._closed = False

    def push(self, chunk: np.ndarray) -> TimedFeatures:
        if self._closed:
            raise RuntimeError("VoiceStatesStream.push after flush(); start a new stream")
        self._buf = np.concatenate([self._buf, check_samples(chunk)])
        steps = (len(self._buf) - self._kept) // self._step
        return self._read([self._kept + (k + 1) * self._step for k in range(steps)])

    def flush(self) -> TimedFeatures:
        if self._closed:
            return TimedFeatures.empty(self.states.dim)
        self._closed = True
        end = self._kept + (len(self._buf) - self._kept) // STATE * STATE
        return self._read([end]) if end > self._kept else TimedFeatures.empty(self.states.dim)

    def _read(self, ends: list[int]) -> TimedFeatures:
        """The states of the steps ending at ``ends`` (increasing sample offsets in the buffer), each step read
        with the ``context_s`` before its end."""
        if not ends:
            return TimedFeatures.empty(self.states.dim)
        starts = [self._kept, *ends[:-1]]
        stretches = [self._buf[max(0, end - self._context) : end] for end in ends]
        out = []
        for start, end, states in zip(starts, ends, self.states.encode_many(stretches)):
            new = (end - start) // STATE
            out.append(TimedFeatures(self.t0 + (self._done + np.arange(new)) / RATE_HZ, states[-new:]))
            self._done += new
        keep_from = max(0, ends[-1] - (self._context - self._step))  # what the next pass reads before its step
        self._buf = self._buf[keep_from:]
        self._kept = ends[-1] - keep_from
        return TimedFeatures.concat(out, self.states.dim)


def speech_states(
    times: np.ndarray, values: np.ndarray, speech_times: np.ndarray, speech_probs: np.ndarray, threshold: float
) -> np.ndarray:
    """The states heard while someone speaks: each 20-ms state takes the probability of the 32-ms VAD frame it
    starts in. Pauses and the silence around a clip change the pooled states but say nothing about the voice."""
    if not len(times) or not len(speech_times):
        return np.asarray(values)[:0]
    frame = np.searchsorted(np.asarray(speech_times), np.asarray(times) + 1e-6, side="right") - 1
    p = np.where(frame >= 0, np.asarray(speech_probs).reshape(-1)[np.clip(frame, 0, None)], 0.0)
    return np.asarray(values)[p > threshold]


def pooled(states: np.ndarray) -> np.ndarray:
    """Mean and standard deviation over time: one vector for a window (or clip) of states."""
    s = np.asarray(states, np.float64)
    return np.concatenate([s.mean(0), s.std(0)]).astype(np.float32)
