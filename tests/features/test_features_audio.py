"""AudioFeatureExtractor: streaming frames equal whole-clip frames; rate, dim and values are right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streammsa.errors import InputError
from streammsa.features.audio import (
    DIM,
    FEATURE_NAMES,
    SAMPLE_RATE,
    AudioFeatureExtractor,
    decode_audio_file,
    default_audio_spec,
)
from streammsa.features.timed import TimedFeatures

I_ENERGY, I_ZCR, I_VOICING, I_F0 = (FEATURE_NAMES.index(n) for n in ("log_energy", "zcr", "voicing", "log_f0"))


@pytest.fixture(scope="module")
def extractor() -> AudioFeatureExtractor:
    return AudioFeatureExtractor()


@pytest.fixture(scope="module")
def ravdess_clip(shared_data: Path) -> np.ndarray:
    # angry, strong intensity, actor 01: loud, clearly voiced speech
    return decode_audio_file(shared_data / "ravdess" / "audio" / "Actor_01" / "03-01-05-02-01-01-01.flac")


def stream_in_chunks(extractor: AudioFeatureExtractor, x: np.ndarray, sizes, t0: float = 0.0) -> TimedFeatures:
    stream = extractor.stream(t0)
    parts, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        parts.append(stream.push(x[i : i + n]))
        i, k = i + n, k + 1
    parts.append(stream.flush())
    return TimedFeatures.concat(parts, DIM)


@pytest.mark.data
def test_streaming_frames_equal_whole_clip_frames(extractor, ravdess_clip):
    whole = extractor.extract_timed(ravdess_clip, t0=12.5)
    rng = np.random.default_rng(7)
    for sizes in ([1, 7, 159, 640, 1119], list(rng.integers(1, 4000, size=50)), [320]):
        streamed = stream_in_chunks(extractor, ravdess_clip, sizes, t0=12.5)
        np.testing.assert_allclose(streamed.values, whole.values, rtol=0, atol=1e-5)
        np.testing.assert_array_equal(streamed.times, whole.times)


@pytest.mark.data
def test_frame_rate_and_dim_match_the_spec(extractor, ravdess_clip):
    spec = default_audio_spec()
    feats = extractor.extract_timed(ravdess_clip, t0=3.0)
    assert feats.values.shape == (int(np.ceil(len(ravdess_clip) / 640)), spec.dim)
    assert spec.dim == DIM == len(spec.feature_names) <= 64
    np.testing.assert_allclose(np.diff(feats.times), 1.0 / spec.rate_hz)
    assert feats.times[0] == pytest.approx(3.0 + 0.5 / spec.rate_hz)
    assert spec.params["sample_rate"] == SAMPLE_RATE


@pytest.mark.data
def test_ravdess_speech_gives_finite_voiced_frames(extractor, ravdess_clip):
    f = extractor.extract(ravdess_clip)
    assert np.isfinite(f).all()
    voiced = f[f[:, I_VOICING] > 0.8]
    assert len(voiced) >= 10
    f0 = np.exp(voiced[:, I_F0])
    assert np.all((f0 >= 60) & (f0 <= 500))
    # speech is louder than the leading/trailing silence of the recording
    assert f[:, I_ENERGY].max() - f[:, I_ENERGY].min() > 8


def test_pure_tone_pitch_and_voicing(extractor):
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    for hz in (110.0, 220.0, 330.0):
        f = extractor.extract((0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32))[2:-2]
        assert np.exp(f[:, I_F0]).mean() == pytest.approx(hz, rel=0.02)
        assert f[:, I_VOICING].min() > 0.95


def test_silence_is_unvoiced_low_energy_audio_and_noise_is_unvoiced(extractor):
    silence = extractor.extract(np.zeros(SAMPLE_RATE, dtype=np.float32))
    assert silence.shape == (25, DIM) and np.isfinite(silence).all()
    assert np.all(silence[:, I_VOICING] == 0) and np.all(silence[:, I_F0] == 0)
    assert silence[:, I_ENERGY].max() < -20
    noise = np.random.default_rng(0).normal(0, 0.1, SAMPLE_RATE).astype(np.float32)
    f = extractor.extract(noise)
    assert f[:, I_VOICING].mean() < 0.5 and f[:, I_ZCR].mean() > 0.3


def test_bad_audio_input_is_a_clear_error(extractor):
    with pytest.raises(InputError, match="mono"):
        extractor.extract(np.zeros((2, 1600), dtype=np.float32))
    with pytest.raises(InputError, match="float"):
        extractor.extract(np.zeros(1600, dtype=np.int16))
    stream = extractor.stream()
    stream.flush()
    with pytest.raises(RuntimeError, match="after flush"):
        stream.push(np.zeros(160, dtype=np.float32))
    with pytest.raises(InputError, match="does not exist"):
        decode_audio_file("/nonexistent/clip.flac")


def test_empty_and_short_audio(extractor):
    assert extractor.extract(np.zeros(0, dtype=np.float32)).shape == (0, DIM)
    assert extractor.extract(np.zeros(10, dtype=np.float32)).shape == (1, DIM)
    stream = extractor.stream()
    assert len(stream.push(np.zeros(1000, dtype=np.float32))) == 0  # a frame needs 1120 samples
    assert len(stream.push(np.zeros(120, dtype=np.float32))) == 1


@pytest.mark.data
def test_log_mel_bands_equal_torchaudio_melspectrogram(extractor, ravdess_clip):
    import torch
    import torchaudio

    p = default_audio_spec().params
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=p["sample_rate"], n_fft=p["n_fft"], win_length=p["win_length"], hop_length=p["sub_hop"],
        f_min=p["f_min"], f_max=p["f_max"], n_mels=p["n_mels"], center=False, power=2.0, mel_scale=p["mel_scale"],
    )  # fmt: skip
    with torch.inference_mode():
        sub = torch.log(mel(torch.from_numpy(ravdess_clip)).T + 1e-6).numpy()
    n = sub.shape[0] // 4 - 1  # whole frames inside the clip (the last ones see end padding)
    expected = sub[: 4 * n].reshape(n, 4, -1).mean(axis=1)
    got = extractor.extract(ravdess_clip)[:n, : p["n_mels"]]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)
