"""Audio features: 40 log-mel bands + log energy + zero-crossing rate + voicing + log F0, 25 frames/s.

Input is float32 mono 16 kHz samples (numpy). Analysis runs on 10 ms sub-frames
(hop 160 samples); every 4 consecutive sub-frames are averaged into one 40 ms output
frame (25 Hz), 44 values:

- ``logmel_00..39``: log(mel power + 1e-6), the same values as torchaudio's
  ``MelSpectrogram`` (n_fft 512, 25 ms Hann window, 20-8000 Hz, HTK mel scale,
  ``center=False``), computed in numpy with torchaudio's filterbank;
- ``log_energy``: log(mean square + 1e-10) of the central 25 ms of each sub-frame;
- ``zcr``: zero-crossing rate of the same samples;
- ``voicing``: peak normalised cross-correlation over F0 lags 60-500 Hz of a 40 ms
  sub-frame (0 for near-silent sub-frames), averaged over the 4 sub-frames;
- ``log_f0``: mean log(F0 Hz) of the voiced sub-frames (voicing >= 0.5), 0 when none is
  voiced (the ``voicing`` value tells the model which).

Output frame ``j`` summarises the hop ``[t0 + 0.04 j, t0 + 0.04 (j+1))`` and carries the
time ``t0 + 0.04 (j + 0.5)`` on the stream clock; its analysis windows reach 30 ms past the
hop, so a frame is ready once 70 ms of audio after its start have arrived. Sub-frames
start at fixed sample offsets (no centring, no padding but at the end of a stream), so
``AudioFeatureStream`` fed chunk by chunk gives exactly the frames of ``extract`` on the
whole clip. Silence is real audio with low energy, never "absent".
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.errors import InputError
from streammsa.features.spec import ModalitySpec
from streammsa.features.timed import TimedFeatures

EXTRACTOR = "logmel_prosody"
SAMPLE_RATE = 16000
N_MELS = 40
N_FFT = 512
WIN = 400  # 25 ms mel / energy window
SUB_HOP = 160  # 10 ms
GROUP = 4  # sub-frames per output frame -> 40 ms, 25 Hz
PITCH_WIN = 640  # 40 ms: two periods of a 60 Hz voice
F0_MIN, F0_MAX = 60.0, 500.0
F_MIN, F_MAX = 20.0, 8000.0
VOICED = 0.5
OCTAVE_TOLERANCE = 0.9  # a shorter-lag peak within 10% of the best one wins
SILENCE_RMS = 1e-4  # below this a sub-frame's pitch is not estimated (digital silence, hum floor)

FEATURE_NAMES = tuple(f"logmel_{i:02d}" for i in range(N_MELS)) + ("log_energy", "zcr", "voicing", "log_f0")
DIM = len(FEATURE_NAMES)


def default_audio_spec() -> ModalitySpec:
    """ModalitySpec of ``AudioFeatureExtractor()``: 44-d frames at 25 Hz."""
    return ModalitySpec(
        name="audio",
        extractor=EXTRACTOR,
        dim=DIM,
        rate_hz=SAMPLE_RATE / (SUB_HOP * GROUP),
        feature_names=FEATURE_NAMES,
        params={
            "sample_rate": SAMPLE_RATE,
            "n_fft": N_FFT,
            "win_length": WIN,
            "sub_hop": SUB_HOP,
            "frames_per_step": GROUP,
            "n_mels": N_MELS,
            "f_min": F_MIN,
            "f_max": F_MAX,
            "mel_scale": "htk",
            "pitch_window": PITCH_WIN,
            "f0_range": [F0_MIN, F0_MAX],
            "voiced_threshold": VOICED,
        },
    )


class AudioFeatureExtractor:
    """Frame-level audio features (see module doc) for whole clips or live streams.

    - ``extract(samples) -> (T, 44)`` float32 for a whole clip; the end is padded with
      silence so every started 40 ms hop gets a frame (``T = ceil(len / 640)``).
    - ``extract_timed(samples, t0)`` -> ``TimedFeatures`` of the same frames.
    - ``stream(t0) -> AudioFeatureStream``: ``push(chunk)`` returns the frames completed so
      far, ``flush()`` the rest; identical to ``extract_timed`` on the concatenated audio.
    Counter ``frames_computed``: output frames ever computed (all streams).
    """

    sample_rate = SAMPLE_RATE
    hop = SUB_HOP * GROUP  # samples per output frame
    context = SUB_HOP * (GROUP - 1) + PITCH_WIN  # samples one output frame reads
    dim = DIM

    def __init__(self) -> None:
        import torch
        import torchaudio

        # torchaudio supplies the mel filterbank and window (so features equal its
        # MelSpectrogram); the per-frame maths runs in numpy: single-threaded, and far
        # faster than torch's thread pool on these tiny tensors when the CPU is busy.
        self._mel_fb = (
            torchaudio.functional.melscale_fbanks(
                n_freqs=N_FFT // 2 + 1,
                f_min=F_MIN,
                f_max=F_MAX,
                n_mels=N_MELS,
                sample_rate=SAMPLE_RATE,
                mel_scale="htk",
            )
            .numpy()
            .astype(np.float32)
        )
        window = np.zeros(N_FFT, dtype=np.float32)
        left = (N_FFT - WIN) // 2  # torch.stft centres a shorter window inside n_fft
        window[left : left + WIN] = torch.hann_window(WIN).numpy()
        self._window = window
        self._lag_min = int(np.floor(SAMPLE_RATE / F0_MAX))
        self._lag_max = int(np.ceil(SAMPLE_RATE / F0_MIN))
        self._lags = np.arange(self._lag_min, self._lag_max + 1)
        self._lock = threading.Lock()
        self.frames_computed = 0

    @property
    def spec(self) -> ModalitySpec:
        return default_audio_spec()

    @property
    def rate_hz(self) -> float:
        return SAMPLE_RATE / self.hop

    @classmethod
    def from_spec(cls, spec: ModalitySpec, **kw: Any) -> "AudioFeatureExtractor":
        if spec.extractor != EXTRACTOR:
            raise InputError(f"audio extractor {spec.extractor!r} is not {EXTRACTOR!r}")
        ours = default_audio_spec()
        if spec.params != ours.params or spec.dim != ours.dim or spec.rate_hz != ours.rate_hz:
            raise InputError(
                f"audio spec {spec.params} (dim {spec.dim}, {spec.rate_hz} Hz) differs from this streammsa's "
                f"{EXTRACTOR} ({ours.params}, dim {ours.dim}, {ours.rate_hz} Hz); retrain or use a matching version"
            )
        return cls(**kw)

    # ---- public API -------------------------------------------------------------------------

    def n_frames(self, n_samples: int) -> int:
        """Frames ``extract`` returns for a clip of ``n_samples`` samples."""
        return -(-int(n_samples) // self.hop)

    def extract(self, samples: np.ndarray) -> np.ndarray:
        """(T, 44) float32 features of a whole clip (16 kHz mono float)."""
        x = check_samples(samples)
        n = self.n_frames(x.shape[0])
        if n == 0:
            return np.zeros((0, DIM), dtype=np.float32)
        need = self.hop * (n - 1) + self.context
        x = np.concatenate([x, np.zeros(need - x.shape[0], dtype=np.float32)])
        return self._frames(x, n)

    def extract_timed(self, samples: np.ndarray, t0: float = 0.0) -> TimedFeatures:
        values = self.extract(samples)
        return TimedFeatures(self.frame_times(0, values.shape[0], t0), values)

    def frame_times(self, first: int, count: int, t0: float = 0.0) -> np.ndarray:
        """Stream-clock times of frames ``first .. first+count-1`` of audio that starts at ``t0``."""
        return t0 + (np.arange(first, first + count, dtype=np.float64) + 0.5) * (self.hop / SAMPLE_RATE)

    def stream(self, t0: float = 0.0) -> "AudioFeatureStream":
        """A streaming state for audio whose first sample is at ``t0`` on the stream clock."""
        return AudioFeatureStream(self, t0)

    # ---- internals --------------------------------------------------------------------------

    def _frames(self, x: np.ndarray, n: int) -> np.ndarray:
        """Features of the first ``n`` output frames of ``x`` (``len(x) >= hop*(n-1)+context``)."""
        n_sub = n * GROUP
        frames = np.lib.stride_tricks.sliding_window_view(x[: SUB_HOP * (n_sub - 1) + PITCH_WIN], PITCH_WIN)[::SUB_HOP]
        spec = np.fft.rfft(frames[:, :N_FFT] * self._window, axis=1)
        power = spec.real**2 + spec.imag**2
        logmel = np.log(power @ self._mel_fb + 1e-6)
        mid = (PITCH_WIN - WIN) // 2
        core = frames[:, mid : mid + WIN]
        log_energy = np.log(np.mean(core * core, axis=1) + 1e-10)
        signs = np.signbit(core)
        zcr = np.mean(signs[:, 1:] != signs[:, :-1], axis=1)
        voicing, log_f0 = self._pitch(frames)
        sub = np.concatenate([logmel, log_energy[:, None], zcr[:, None]], axis=1).reshape(n, GROUP, -1).mean(axis=1)
        voicing = voicing.reshape(n, GROUP)
        log_f0 = log_f0.reshape(n, GROUP)
        voiced = voicing >= VOICED
        f0_mean = np.where(voiced, log_f0, 0.0).sum(axis=1) / np.maximum(voiced.sum(axis=1), 1)
        out = np.concatenate([sub, voicing.mean(axis=1, keepdims=True), f0_mean[:, None]], axis=1).astype(np.float32)
        with self._lock:
            self.frames_computed += n
        return out

    def _pitch(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per sub-frame (voicing in [0, 1], log F0) by normalised autocorrelation."""
        x = frames - frames.mean(axis=1, keepdims=True)
        n = x.shape[1]
        # Zero-padding to 1024 >= n + lag_max keeps the correlation linear for every lag we read.
        spec = np.fft.rfft(x, n=1024, axis=1)
        r = np.fft.irfft(spec.real**2 + spec.imag**2, n=1024, axis=1)[:, : self._lag_max + 1]
        cs = np.cumsum(x * x, axis=1)
        lags = self._lags
        e_head = cs[:, n - 1 - lags]  # energy of x[0 : n-lag]
        e_tail = cs[:, -1:] - cs[:, lags - 1]  # energy of x[lag : n]
        nccf = r[:, lags] / np.sqrt(np.maximum(e_head * e_tail, 0.0) + 1e-12)
        # Take the shortest lag whose local maximum comes close to the global one: multiples of
        # the period correlate just as well, and picking them would halve or third the F0.
        top = nccf.max(axis=1, keepdims=True)
        pad = np.full_like(nccf[:, :1], -2.0)
        prev, nxt = np.concatenate([pad, nccf[:, :-1]], axis=1), np.concatenate([nccf[:, 1:], pad], axis=1)
        candidate = (nccf >= prev) & (nccf >= nxt) & (nccf >= OCTAVE_TOLERANCE * top)
        best = np.argmax(candidate, axis=1)  # first True
        rows = np.arange(nccf.shape[0])
        peak = nccf[rows, best]
        # Parabolic interpolation around the peak for sub-sample lag precision.
        left = nccf[rows, np.maximum(best - 1, 0)]
        right = nccf[rows, np.minimum(best + 1, nccf.shape[1] - 1)]
        denom = left - 2 * peak + right
        safe = np.abs(denom) > 1e-9
        shift = np.clip(np.where(safe, 0.5 * (left - right) / np.where(safe, denom, 1.0), 0.0), -0.5, 0.5)
        lag = lags[best] + shift
        rms = np.sqrt(cs[:, -1] / n)
        voicing = np.where(rms >= SILENCE_RMS, np.clip(peak, 0.0, 1.0), 0.0)
        return voicing, np.log(SAMPLE_RATE / lag)


class AudioFeatureStream:
    """Chunk-by-chunk feature extraction for one audio stream; keeps only the needed left context.

    ``push(chunk)`` -> ``TimedFeatures`` of the frames completed by this chunk (maybe none);
    ``flush()`` pads the end with silence and returns the last frames (end of stream).
    ``frames_emitted`` counts frames returned so far; ``samples_seen`` the samples pushed.
    """

    def __init__(self, extractor: AudioFeatureExtractor, t0: float = 0.0) -> None:
        self.extractor = extractor
        self.t0 = float(t0)
        self._buf = np.zeros(0, dtype=np.float32)  # starts at the first sample of the next frame
        self.frames_emitted = 0
        self.samples_seen = 0
        self._closed = False

    def push(self, chunk: np.ndarray) -> TimedFeatures:
        if self._closed:
            raise RuntimeError("AudioFeatureStream.push after flush(); start a new stream")
        x = check_samples(chunk)
        self.samples_seen += x.shape[0]
        self._buf = np.concatenate([self._buf, x]) if self._buf.size else x.copy()
        ex = self.extractor
        if self._buf.shape[0] < ex.context:
            return TimedFeatures.empty(DIM)
        n = (self._buf.shape[0] - ex.context) // ex.hop + 1
        return self._emit(n)

    def flush(self) -> TimedFeatures:
        """Frames for the remaining audio (the last hop padded with silence); the stream then ends."""
        if self._closed:
            return TimedFeatures.empty(DIM)
        self._closed = True
        ex = self.extractor
        n = -(-self._buf.shape[0] // ex.hop)
        if n == 0:
            return TimedFeatures.empty(DIM)
        need = ex.hop * (n - 1) + ex.context
        self._buf = np.concatenate([self._buf, np.zeros(need - self._buf.shape[0], dtype=np.float32)])
        return self._emit(n)

    def _emit(self, n: int) -> TimedFeatures:
        ex = self.extractor
        values = ex._frames(self._buf, n)
        times = ex.frame_times(self.frames_emitted, n, self.t0)
        self.frames_emitted += n
        self._buf = self._buf[n * ex.hop :].copy()
        return TimedFeatures(times, values)


def check_samples(samples: np.ndarray) -> np.ndarray:
    """1-D finite float32 samples, or a one-line ``InputError`` saying what to pass instead."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise InputError(
            f"audio must be mono 1-D samples at {SAMPLE_RATE} Hz, got shape {x.shape}; "
            "downmix and resample first (decode_audio_file does both)"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise InputError(f"audio must be float samples in [-1, 1], got {x.dtype}; convert int16 with x / 32768")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise InputError("audio contains NaN or infinite samples")
    return x


def decode_audio_file(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode any audio/video file's first audio stream to float32 mono at ``sample_rate`` (PyAV)."""
    import av

    path = Path(path)
    if not path.exists():
        raise InputError(f"audio file {path} does not exist")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(f"{path} has no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            parts = []
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as exc:
        raise InputError(f"cannot decode audio from {path}: {exc}") from exc
    return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, dtype=np.float32)
