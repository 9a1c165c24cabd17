"""The face reader (models/face_reader.py): the shipped one reads held-out smiling faces above held-out angry ones
and neutral faces near 0, from the real landmarker's and classifier's features; a window without a face has no
reading; a reader file refuses an expression classifier it was not fitted over."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from streammsa.errors import InputError
from streammsa.features.vision import FaceFeatureExtractor
from streammsa.models.face_reader import FaceReader, default_path, load_face_reader

# the first photos of each expression among the test identities (datasets/items.py), in name order
HAPPY = ["Aaron_Sorkin_0002", "Adrien_Brody_0003", "Adrien_Brody_0004", "Adrien_Brody_0006"]
ANGRY = ["Carlos_Ortega_0001", "Dwarakish_138", "Dwarakish_166", "Eric_Idle_0001"]
NEUTRAL = ["Adrien_Brody_0002", "Adrien_Brody_0008", "Ahmed_Chalabi_0001", "Aicha_El_Ouafi_0002"]


@pytest.fixture(scope="module")
def reader() -> FaceReader:
    return load_face_reader()


@pytest.mark.data
def test_held_out_smiles_read_above_angry_faces_and_neutral_faces_near_zero(reader, shared_data):
    def readings(names: list[str]) -> np.ndarray:
        with FaceFeatureExtractor() as fx:
            feats = []
            for n in names:
                with av.open(str(shared_data / "faces" / "images" / f"{n}.jpg")) as c:
                    img = next(c.decode(video=0)).to_ndarray(format="rgb24")
                feats.append(fx.process_image(img))
        assert all(f is not None for f in feats), names
        return reader.read([f[None, :] for f in feats])

    happy, angry, neutral = readings(HAPPY), readings(ANGRY), readings(NEUTRAL)
    assert happy.min() > angry.max(), (happy, angry)
    assert happy.mean() > 1.0 and angry.mean() < 0.0
    assert abs(np.median(neutral)) < 0.6, neutral


def test_a_window_without_a_face_has_no_reading(reader):
    out = reader.read([np.zeros((0, 62), np.float32), np.full((3, 62), 1 / 7, np.float32)])
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_a_reader_reads_the_same_after_saving_and_refuses_another_classifier(reader, tmp_path):
    path = reader.save(tmp_path / "face.npz", FaceReader.base_file())
    x = np.random.default_rng(0).normal(size=(4, 7))
    np.testing.assert_allclose(
        FaceReader.load(path, FaceReader.base_file()).read_pooled(x), reader.read_pooled(x), atol=1e-4
    )
    with np.load(path) as z:
        parts = {k: z[k] for k in z.files}
    header = json.loads(str(parts["header"]))
    header["base_sha256"] = "0" * 64
    parts["header"] = np.asarray(json.dumps(header))
    with open(tmp_path / "foreign.npz", "wb") as fh:
        np.savez(fh, **parts)
    with pytest.raises(InputError, match="other expression classifier weights"):
        FaceReader.load(tmp_path / "foreign.npz", FaceReader.base_file())
    assert default_path().stat().st_size < 10_000


def test_a_ridge_reader_of_sessions_7_to_11_still_loads_and_reads_as_it_did(tmp_path):
    """Format 1 (ridge regression onto valence: r = w . z + b) files stay readable beside format 2 (polarity
    probabilities read out as the expected valence)."""
    rng = np.random.default_rng(0)
    mu, sigma, w, b = rng.normal(size=7), np.ones(7), rng.normal(size=7), 0.25
    ridge = FaceReader(mu, sigma, w, b, {"alpha": 100.0})
    path = ridge.save(tmp_path / "ridge.npz", FaceReader.base_file())
    with np.load(path) as z:
        parts = {k: z[k] for k in z.files}
    header = json.loads(str(parts["header"]))
    header["format"] = "streammsa.face_reader/1"
    parts["header"] = np.asarray(json.dumps(header))
    with open(path, "wb") as fh:
        np.savez(fh, **parts)
    x = rng.normal(size=(5, 7))
    expected = np.clip((x - mu) / sigma @ w + b, -3, 3)
    np.testing.assert_allclose(FaceReader.load(path, FaceReader.base_file()).read_pooled(x), expected, atol=1e-5)


def test_the_shipped_reader_reads_the_expected_valence_of_its_polarity_probabilities(reader):
    """r = sum_k P(k | v) valence_k: between the negative and the positive faces' valence, and a face whose
    expressions say "happy" reads near the positive faces' valence."""
    low, _, high = reader.meta["valence"]
    assert reader.w.shape == (7, 3) and low < -1.0 < 1.0 < high
    happy = np.log(np.asarray([[0.0, 0.0, 0.0, 0.97, 0.01, 0.01, 0.01]]) + 1e-3)
    assert reader.read_pooled(happy)[0] > 0.8 * high
