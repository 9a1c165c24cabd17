"""--face-stride: the face is analysed in one of every N slots of the model's face rate (default 2, 4 in --fast) and
each analysed frame stands for the slots up to the next, so windows hold as many face steps as the model was trained
on, in time order, and read as when every slot is analysed (real landmarker, real model, the demo clip)."""

from __future__ import annotations

import numpy as np
import pytest
from support.messages import readings_of

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import VideoFrame
from streammsa.engine.inference import EngineConfig
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.cache import FeatureCache
from streammsa.features.vision import DIM, FAST_FACE_STRIDE, FaceFeatureExtractor, default_vision_spec
from streammsa.monitor import Components, MonitorConfig, replay_messages
from streammsa.monitor.workers import VisionFeatureWorker
from streammsa.paths import demo_clip

pytestmark = [pytest.mark.data]


def _frames(path, n):
    with MediaFileSource(path, audio=False) as src:
        return [p.image for p, _ in zip(src, range(n)) if isinstance(p, VideoFrame)]


def test_each_analysed_frame_fills_the_slots_up_to_the_next_in_time_order(grid_clip):
    images = _frames(grid_clip, 12)
    with FaceFeatureExtractor.from_spec(default_vision_spec(10.0)) as face:
        cache, checks = FeatureCache(DIM, 600.0), FeatureCache(1, 600.0)
        scheduler = WindowScheduler("main", 4.0, 1.0, active=["vision"])
        worker = VisionFeatureWorker(face, cache, scheduler, 16, live=False, checks=checks, slots=2, slot_s=0.1)
        # on time, then a frame late for its slot (0.59 for the slot at 0.4), then the next slot's frame at once
        for t, image in zip([0.0, 0.04, 0.2, 0.59, 0.6, 0.8], images):
            worker.handle(VideoFrame(t, image))
    times, rows = cache.slice(0.0, 10.0)
    assert times.tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.59, 0.6, 0.7, 0.8, 0.9])
    assert worker.analysed == 5 and worker.faces == 5
    np.testing.assert_array_equal(rows[0], rows[1])  # a slot holds its analysed frame's features
    assert checks.slice(0.0, 10.0)[0].tolist() == pytest.approx(times.tolist())


@pytest.mark.slow
def test_replays_analysing_fewer_slots_read_as_one_analysing_every_slot(tmp_path):
    """Stride 2 (paced and live replays) and a --fast replay's own stride (4) against every slot, all with one set of
    loaded components: the stride is the run's."""
    components = Components.build(MonitorConfig(engine=EngineConfig(device="cpu")))
    runs = {}
    for stride in (1, 2, None):  # None: the run's default, FAST_FACE_STRIDE in a --fast replay
        config = MonitorConfig(engine=EngineConfig(device="cpu"), face_stride=stride)
        runs[stride] = replay_messages(
            demo_clip(), config=config, components=components, out_dir=tmp_path / str(stride)
        )
    every = readings_of(runs[1].messages)
    face = lambda rs: np.array([r["modalities"]["vision"]["intensity"] for r in rs], float)  # noqa: E731
    overall = lambda rs: np.array([r["intensity"] for r in rs], float)  # noqa: E731
    for stride, n in ((2, 2), (None, FAST_FACE_STRIDE)):
        some = readings_of(runs[stride].messages)
        analysed = runs[stride].result.counters["frames_analysed"]
        assert abs(analysed - runs[1].result.counters["frames_analysed"] / n) <= 1, stride
        assert len(some) == len(every) >= 20
        assert [r["modalities"]["vision"]["present"] for r in some] == [
            r["modalities"]["vision"]["present"] for r in every
        ]
        # measured, largest: 0.009 at stride 2 (docs/benchmarks.md, session 17), 0.022 at 4 (session 19)
        assert np.abs(face(every) - face(some)).max() < 0.1, stride
        assert np.abs(overall(every) - overall(some)).max() < 0.1, stride


def test_a_fast_replay_analyses_one_face_in_four_slots_unless_told_otherwise():
    assert MonitorConfig(speed=None).analysed_face_stride == FAST_FACE_STRIDE == 4
    assert MonitorConfig(speed=1.0).analysed_face_stride == MonitorConfig(live=True).analysed_face_stride == 2
    assert MonitorConfig(speed=None, face_stride=1).analysed_face_stride == 1  # --face-stride wins
