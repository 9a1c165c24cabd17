"""The offline speaker models: the files set-up installs, their checksums, and that they load and run."""

from __future__ import annotations

import numpy as np
import pytest

from streammsa import assets
from streammsa.errors import InputError
from streammsa.speakers.embedding import DIM
from streammsa.speakers.segmentation import FRAMES_PER_WINDOW, LOCAL_SPEAKERS, WINDOW_SAMPLES


def test_model_files_match_their_pinned_checksums():
    assert assets.verified(assets.speaker_segmentation_onnx(), assets.SEGMENTATION_SHA256).stat().st_size > 5_000_000
    assert assets.verified(assets.campplus_state_dict(), assets.CAMPPLUS_SHA256).stat().st_size > 25_000_000


def test_a_file_with_another_checksum_is_refused_with_the_set_up_hint(tmp_path):
    fake = tmp_path / "segmentation-3.0.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(InputError, match="setup.sh"):
        assets.verified(fake, assets.SEGMENTATION_SHA256)


def test_campplus_state_dict_loads_into_our_network_with_no_missing_keys():
    import torch

    from streammsa.speakers.campplus import CAMPPlus

    state = torch.load(str(assets.campplus_state_dict()), map_location="cpu", weights_only=True)
    result = CAMPPlus(feat_dim=80, embedding_size=DIM).load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_voice_print_is_a_unit_192_vector_and_needs_a_quarter_second(embedder):
    rng = np.random.default_rng(0)
    e = embedder.embed(0.1 * rng.standard_normal(16000).astype(np.float32))
    assert e.shape == (DIM,) and abs(float(np.linalg.norm(e)) - 1.0) < 1e-4
    with pytest.raises(InputError, match="at least"):
        embedder.embed(np.zeros(1000, np.float32))


def test_segmentation_reads_10_s_windows_and_finds_nobody_in_silence(segmenter):
    out = segmenter.segment(np.zeros((2, WINDOW_SAMPLES), np.float32))
    assert out.shape == (2, FRAMES_PER_WINDOW, LOCAL_SPEAKERS)
    assert out.sum() == 0
    with pytest.raises(InputError, match="160000"):
        segmenter.segment(np.zeros((1, 1000), np.float32))
