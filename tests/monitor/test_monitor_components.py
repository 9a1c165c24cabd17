"""Components load each model once: the face landmarker checked at load time serves the first run, the text
encoder finishes loading in the background, and loading keeps native libraries' chatter off the terminal."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from streammsa.engine.inference import EngineConfig
from streammsa.features.text import TextEncoder
from streammsa.features.vision import FaceFeatureExtractor
from streammsa.monitor import Components, DashboardConfig, MonitorConfig
from streammsa.monitor.components import FirstThenFresh, Loading


def test_the_first_run_takes_the_landmarker_built_at_load_time_and_later_runs_a_fresh_one():
    made: list[FaceFeatureExtractor] = []

    def make() -> FaceFeatureExtractor:
        made.append(FaceFeatureExtractor())
        return made[-1]

    faces = FirstThenFresh(make)
    assert len(made) == 1  # built (and so checked) when the components load
    first = faces()
    assert first is made[0] and len(made) == 1  # not built a second time for the first run
    second = faces()
    assert second is made[1] and second is not first  # a new run, a new timeline for VIDEO mode
    for fx in made:
        fx.close()


def test_a_landmarker_never_handed_out_is_closed_with_its_factory():
    made: list[FaceFeatureExtractor] = []
    faces = FirstThenFresh(lambda: made.append(FaceFeatureExtractor()) or made[-1])
    del faces
    gc.collect()
    with pytest.raises(RuntimeError, match="closed"):
        made[0].process(np.zeros((64, 64, 3), dtype=np.uint8), 0.0)


def test_a_background_load_is_waited_for_on_first_use_and_its_error_is_raised_there():
    encoder = Loading("text encoder", TextEncoder)
    tokens = encoder.encode("the meeting went well")  # waits for the model, then encodes
    assert tokens.shape[1] == 384 and tokens.shape[0] >= 4
    broken = Loading("text encoder", lambda: TextEncoder(max_tokens=1))
    with pytest.raises(ValueError, match="max_tokens"):
        broken.encode("hello")


@pytest.mark.slow
def test_building_the_components_prints_no_native_chatter(capfd):
    config = MonitorConfig(engine=EngineConfig(untrained=True, device="cpu"), dashboard=DashboardConfig(enabled=False))
    components = Components.build(config).wait()
    err = capfd.readouterr().err
    for chatter in ("W0000", "INFO: Created TensorFlow Lite", "InitGoogle", "face_landmarker_graph"):
        assert chatter not in err, err
    assert components.text_encoder.encode("fine").shape[1] == 384
    components.face_extractor_factory().close()
