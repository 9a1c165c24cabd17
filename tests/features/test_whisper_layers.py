"""Every layer of the Whisper encoder (features/whisper_layers.py): the torch copy of the shipped CTranslate2
weights reads what CTranslate2 reads, streams as the monitor's voice states do, and pools layer by layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa import assets
from streammsa.features.audio import decode_audio_file
from streammsa.features.voice_states import DIM, VoiceStates, pooled
from streammsa.features.whisper_layers import LAYERS, LayerStates, WhisperEncoder, layer_columns, read_ctranslate2

pytestmark = [pytest.mark.data]


@pytest.fixture(scope="module")
def layer_states() -> LayerStates:
    return LayerStates()


@pytest.fixture(scope="module")
def speech(shared_data) -> np.ndarray:
    return decode_audio_file(shared_data / "ravdess" / "audio" / "Actor_20" / "03-01-03-02-01-01-20.flac")


def test_the_model_file_holds_every_encoder_weight():
    w = read_ctranslate2(assets.whisper_tiny_en() / "model.bin")
    assert w["encoder/conv1/weight"].shape == (DIM, 80, 3)
    assert w["encoder/position_encodings/encodings"].shape == (1500, DIM)
    blocks = {k.split("/")[1] for k in w if k.startswith("encoder/layer_") and "/ffn/" in k}
    assert blocks == {f"layer_{i}" for i in range(LAYERS - 1)}


def test_the_last_layer_is_what_ctranslate2_computes_in_float32(layer_states, speech):
    import ctranslate2

    n = len(speech) // 320  # the clip's states, one every 20 ms
    mel = layer_states._mel(speech[: n * 320].astype(np.float32), padding=0)[None, :, : 2 * n]
    model = ctranslate2.models.Whisper(str(layer_states.model_dir), device="cpu", compute_type="float32")
    theirs = np.asarray(model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mel)), to_cpu=True))
    with torch.inference_mode():
        ours = WhisperEncoder.from_ctranslate2(layer_states.model_dir / "model.bin")(torch.from_numpy(mel)).numpy()
    assert ours.shape == (1, n, DIM)
    np.testing.assert_allclose(ours, theirs[:, :n], atol=2e-3)


def test_layer_states_stream_as_the_monitors_voice_states(layer_states, speech):
    """The same steps and context as ``VoiceStates``: the last layer's columns follow the monitor's (int8) states,
    and a stream read chunk by chunk gives the whole clip's states."""
    whole = layer_states.extract(speech)
    assert whole.values.shape == (len(speech) // 320, LAYERS * DIM)
    shipped = VoiceStates().extract(speech).values
    assert np.corrcoef(whole.values[:, -DIM:].ravel(), shipped.ravel())[0, 1] > 0.99
    s = layer_states.stream()
    parts = [s.push(speech[i : i + 7919]) for i in range(0, len(speech), 7919)] + [s.flush()]
    np.testing.assert_allclose(np.concatenate([p.values for p in parts]), whole.values, atol=1e-4)


def test_pooled_columns_are_picked_layer_by_layer(layer_states, speech):
    states = layer_states.extract(speech[:32000]).values
    both = pooled(states)
    for layer in range(LAYERS):
        alone = pooled(states[:, layer * DIM : (layer + 1) * DIM])
        np.testing.assert_allclose(both[layer_columns((layer,))], alone, rtol=1e-5, atol=1e-6)


def test_tuned_weights_replace_only_their_own_and_others_are_refused(layer_states, speech):
    """The voice reader's tuned blocks (``LayerStates(tuned=...)``): the layers below them read as before, the
    tuned ones differently; a name that is not one of the encoder's weights is refused, not ignored."""
    top = {k: v.numpy() + 0.05 for k, v in layer_states.encoder.state_dict().items() if k.startswith("blocks.3.")}
    tuned = LayerStates(tuned=top)
    before, after = layer_states.encode(speech[:64000]), tuned.encode(speech[:64000])
    np.testing.assert_array_equal(after[:, : 4 * DIM], before[:, : 4 * DIM])  # the stem and blocks 1-3
    assert np.abs(after[:, 4 * DIM :] - before[:, 4 * DIM :]).max() > 0.1
    with pytest.raises(ValueError, match="not weights of the Whisper encoder"):
        LayerStates(tuned={"blocks.9.qkv.weight": np.zeros(1)})
