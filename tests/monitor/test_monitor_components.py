"""Components load each model once: the model before ``build`` returns, every other part on its own thread while
a run starts (issue #12, start-up), each waited for where it is first used; the face landmarker loaded at start
serves the first run; a recogniser never times a decode that waited for its decoder; and loading keeps native
libraries' chatter off the terminal."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from support.speech import EXPECTED, SENTENCE, keys, similarity

from streammsa.asr.engines import StreamingConfig
from streammsa.asr.moonshine_backend import MoonshineBackend
from streammsa.asr.whisper_backend import WhisperConfig
from streammsa.capture.media_file import read_audio
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.engine.inference import EngineConfig, InferenceEngine
from streammsa.errors import InputError
from streammsa.features.text import TextEncoder
from streammsa.features.vision import FaceFeatureExtractor
from streammsa.monitor import Components, DashboardConfig, MonitorConfig
from streammsa.monitor.components import DecoderPending, FirstThenFresh, Loading, LoadingDecoders, LoadingFace
from streammsa.paths import models_dir


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


def test_a_part_loads_only_after_the_parts_named_before_it_even_when_one_of_them_fails():
    order: list[str] = []
    gate = threading.Event()

    def first() -> str:
        gate.wait(10)
        order.append("first")
        raise ValueError("broken model file")

    a = Loading("first", first)
    b = Loading("second", lambda: order.append("second") or "ready", after=(a,))
    time.sleep(0.2)
    assert order == [] and not b.finished  # waiting for the first part
    gate.set()
    assert b.get() == "ready" and order == ["first", "second"]
    with pytest.raises(ValueError, match="broken"):
        a.get()  # its error stays its own, raised where it is used


def test_a_face_extractor_still_loading_gives_its_rate_at_once_and_analyses_once_loaded():
    gate = threading.Event()
    face = LoadingFace(10.0, lambda: gate.wait(10) and FaceFeatureExtractor(fps=10.0))
    assert not face.finished and face.fps == 10.0  # what a run's frame filter needs, before capture starts
    gate.set()
    assert face.due(0.0) and face.process(np.zeros((64, 64, 3), dtype=np.uint8), 0.0) is None  # no face here
    face.close()
    with pytest.raises(RuntimeError, match="closed"):
        face.process(np.zeros((64, 64, 3), dtype=np.uint8), 0.1)
    broken = LoadingFace(10.0, lambda: FaceFeatureExtractor(fps=0.0))
    broken.close()  # a load that failed leaves nothing to close: the run reports the load's error, once
    with pytest.raises(InputError, match="fps"):
        broken.due(0.0)


@pytest.mark.slow
def test_a_recogniser_takes_audio_in_while_its_decoder_loads_and_decodes_only_once_its_words_can_commit(tmp_path):
    path = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True, timeout=30)
    speech = read_audio(path)
    first_reading, text_encoder = threading.Event(), threading.Event()
    before = Loading("face", lambda: first_reading.wait(30))  # the decoder waits for what the first reading needs
    encoder = Loading("text encoder", lambda: text_encoder.wait(30))  # a commit encodes its words
    decoders = LoadingDecoders(WhisperConfig(), StreamingConfig(), after=(before,), commits_need=(encoder,))
    decoder = decoders.start(fast=False)
    rec = decoders.recogniser(fast=False)
    assert isinstance(rec, DecoderPending)
    rec.clock = lambda: 123.0  # the run's stream clock reaches the recogniser inside
    assert rec._recogniser.clock() == 123.0
    chunk = SAMPLE_RATE // 10
    feed = iter(range(0, len(speech), chunk))

    def take(seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            i = next(feed)
            rec.insert_audio_chunk(speech[i : i + chunk], i / SAMPLE_RATE)

    take(1.5)
    assert not rec.ready  # never a decode that would wait for a model (timed as falling behind)
    assert rec.open is not None and rec.buffer.duration > 1.0  # its voice-activity detector heard the speech
    first_reading.set()
    decoder.get()
    take(0.5)
    assert not rec.ready  # its words could not be encoded yet: the ASR worker would block on them
    text_encoder.set()
    encoder.get()
    take(0.5)
    assert rec.ready
    words = rec.process_iter().committed
    for i in feed:
        rec.insert_audio_chunk(speech[i : i + chunk], i / SAMPLE_RATE)
    words += rec.finish()
    assert similarity(keys(words), EXPECTED) >= 0.8
    decoders.preload(fast=False)  # loaded: returns at once
    assert decoders.recogniser(fast=False).backend is decoder  # a later run's parts are ready: no wrapper


@pytest.mark.slow
def test_build_returns_with_the_model_while_the_other_parts_load_and_wait_waits_for_every_one():
    config = MonitorConfig(engine=EngineConfig(untrained=True, device="cpu"), dashboard=DashboardConfig(enabled=False))
    components = Components.build(config)
    assert isinstance(components.engine, InferenceEngine)  # a run needs its spec now
    parts = (components.voice_activity, components.audio_extractor, components.text_encoder)
    assert all(isinstance(p, Loading) for p in parts)
    face = components.face_extractor_factory()
    assert isinstance(face, LoadingFace) and face.rate_gate() is not None
    components.wait()
    assert all(p.finished for p in parts) and face.finished
    assert isinstance(components.asr_backend.moonshine.get(), MoonshineBackend)
    face.close()


FIRST_FORWARD = """
import sys
from pathlib import Path
import numpy as np
from streammsa.engine.confidence_fusion import run_with_contributions
from streammsa.engine.inference import EngineConfig, InferenceEngine
from streammsa.engine.windowing import Window, WindowInputs
engine = InferenceEngine.from_config(EngineConfig(checkpoint=Path(sys.argv[1]), device="cpu"))
before = set(sys.modules)
# windows of different lengths, one without words and one without a face: every attention sees padding
lengths = ({"text": 0, "audio": 25, "vision": 10}, {"text": 6, "audio": 100, "vision": 0})
inputs = [
    WindowInputs(Window("main", i, -3.0, 1.0), {m: np.ones((n, engine.spec[m].dim), np.float32) for m, n in l.items()})
    for i, l in enumerate(lengths)
]
run_with_contributions(engine, inputs, [["audio"], ["text"]])
print(sorted({m.split(".")[0] for m in set(sys.modules) - before}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("model", ["cacr", "dbr"])
def test_the_first_forward_pass_of_a_shipped_model_imports_no_module(model):
    # torch's check of an attention's key padding imports symbolic shapes and sympy on its first call (0.5 CPU-s,
    # 0.35-2 s of the first reading): the models pass the padding as the attention mask (models/layers.attend)
    checkpoint = models_dir() / f"{model}_monitor.pt"
    out = subprocess.run([sys.executable, "-c", FIRST_FORWARD, str(checkpoint)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "[]"


WHISPER_DECODE = """
import sys, threading, time
import numpy as np
import torch
from streammsa.asr.whisper_backend import WhisperBackend, WhisperConfig
from streammsa.capture.media_file import read_audio
from streammsa.engine.inference import EngineConfig, InferenceEngine
audio = np.concatenate([read_audio(path) for path in sys.argv[2:]])
InferenceEngine.from_config(EngineConfig(untrained=True, device="cpu", cpu_threads=int(sys.argv[1]) or None))
backends = []
loading = threading.Thread(target=lambda: backends.append(WhisperBackend(WhisperConfig())))  # as Components loads it
loading.start()
loading.join()
times = []
for _ in range(2):
    t0 = time.perf_counter()
    backends[0].transcribe(audio)
    times.append(time.perf_counter() - t0)
print(torch.get_num_threads(), min(times))
"""


@pytest.mark.slow
def test_one_torch_thread_for_the_model_leaves_whisper_decoding_at_its_speed(shared_data):
    # CTranslate2 shares torch's OpenMP runtime: torch.set_num_threads(1) before that runtime had started made
    # Whisper decode 5-40x slower in the same process (a --fast replay's speech recognition, 3.5 s -> 75 s)
    clips = [str(p) for p in sorted((shared_data / "grid").glob("*.mpg"))[:6]]  # 18 s of speech

    def decode(threads: int) -> tuple[int, float]:
        cmd = [sys.executable, "-c", WHISPER_DECODE, str(threads), *clips]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        n, seconds = out.stdout.split()
        return int(n), float(seconds)

    default_threads, default_s = decode(0)
    one, one_s = decode(1)
    assert one == 1
    assert one_s < 1.6 * default_s + 0.3, (one_s, default_s, default_threads)


@pytest.mark.data
def test_the_face_shown_is_the_components_choice_whatever_configuration_a_run_passes(monitor_components, grid_clip):
    """``replay_messages(path, components=...)`` runs with its own default configuration: the face reading shown
    must still be the one the components were built to show (session 11's end-to-end evaluations showed the
    configuration's default instead)."""
    import dataclasses

    from streammsa.monitor import replay_messages

    def faces(components: Components) -> list[float]:
        run = replay_messages(grid_clip, components=components)
        return [r["modalities"]["vision"]["intensity"] for r in run.readings if r["modalities"]["vision"]["present"]]

    assert monitor_components.shown_sources["vision"] == "reader"
    head = dataclasses.replace(monitor_components, face_shown=False)
    assert head.shown_sources["vision"] == "head"
    by_reader, by_head = faces(monitor_components), faces(head)
    assert by_reader and len(by_reader) == len(by_head)
    assert not np.allclose(by_reader, by_head, atol=0.05), (by_reader, by_head)
