"""The default FeatureSpec and rebuilding live extractors from a checkpoint's spec."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from streammsa.errors import InputError
from streammsa.features.defaults import default_feature_spec, extractors_from_spec
from streammsa.features.spec import FeatureSpec


def test_default_spec_has_the_live_dims_and_survives_a_checkpoint_round_trip():
    spec = default_feature_spec(window_s=4.0, hop_s=1.0)
    assert spec.dims == {"text": 384, "audio": 44, "vision": 62}
    assert (spec.text.rate_hz, spec.audio.rate_hz, spec.vision.rate_hz) == (0.0, 25.0, 10.0)
    restored = FeatureSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert restored == spec
    assert restored.compatible_with(spec) == []


def test_extractors_rebuilt_from_a_spec_compute_what_it_describes():
    spec = FeatureSpec.from_dict(json.loads(json.dumps(default_feature_spec().to_dict())))
    enc, aud, vis = extractors_from_spec(spec)
    with vis:
        assert enc.spec == spec.text and aud.spec == spec.audio and vis.spec == spec.vision
        assert enc.encode("good news").shape[1] == spec.text.dim
        assert aud.extract(np.zeros(16000, dtype=np.float32)).shape == (25, spec.audio.dim)
        assert vis.process(np.zeros((120, 160, 3), dtype=np.uint8), 0.0) is None


def test_dataset_only_features_cannot_run_live():
    spec = default_feature_spec()
    covarep = dataclasses.replace(spec.audio, extractor="precomputed", dim=74, feature_names=(), params={})
    with pytest.raises(InputError, match="precomputed.*cannot be computed from live media"):
        extractors_from_spec(dataclasses.replace(spec, audio=covarep))
    unknown = dataclasses.replace(spec.vision, extractor="openface_au")
    with pytest.raises(InputError, match="'openface_au'.*no such extractor"):
        extractors_from_spec(dataclasses.replace(spec, vision=unknown))


def test_changed_extractor_parameters_are_refused():
    spec = default_feature_spec()
    more_mels = dataclasses.replace(spec.audio, params={**spec.audio.params, "n_mels": 80})
    with pytest.raises(InputError, match="audio spec"):
        extractors_from_spec(dataclasses.replace(spec, audio=more_mels))


def test_window_geometry_is_validated():
    assert default_feature_spec(window_s=3.0, hop_s=0.5).hop_s == 0.5
    with pytest.raises(InputError):
        default_feature_spec(window_s=0.0)
