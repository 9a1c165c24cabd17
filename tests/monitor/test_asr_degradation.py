"""A recogniser that cannot keep up degrades and says so instead of falling behind without bound.

The real Moonshine recogniser, slowed by sleeping in every decode, is fed by a real capture thread
replaying a speech file at real time into the real ``AsrWorker`` (text encoder and cache included)."""

from __future__ import annotations

import subprocess
import time

import numpy as np
import pytest
from support.media import write_media
from support.speech import SENTENCE

from streammsa.asr.moonshine_backend import MoonshineBackend
from streammsa.asr.segmented import SegmentedRecogniser
from streammsa.capture.media_file import MediaFileSource, read_audio
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.cache import TextSegmentCache
from streammsa.features.defaults import default_feature_spec
from streammsa.features.text import TextEncoder
from streammsa.monitor.workers import AsrWorker
from streammsa.protocol import StatusEvent

pytestmark = pytest.mark.slow


class SlowBackend:
    """The real backend, plus ``delay_s`` of sleep in every decode (a machine too busy to keep up)."""

    def __init__(self, inner, delay_s: float) -> None:
        self.inner, self.delay_s = inner, delay_s

    def transcribe(self, audio, **kw):
        time.sleep(self.delay_s)
        return self.inner.transcribe(audio, **kw)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory):
    """About 24 s: the test sentence four times with short pauses, as a wav file."""
    folder = tmp_path_factory.mktemp("degrade")
    subprocess.run(["espeak-ng", "-w", str(folder / "s.wav"), SENTENCE], check=True, timeout=30)
    sentence = read_audio(folder / "s.wav")
    pause = np.zeros(int(0.8 * SAMPLE_RATE), np.float32)
    path = folder / "speech.wav"
    write_media(path, audio=np.concatenate([pause, *[np.concatenate([sentence, pause]) for _ in range(4)]]))
    return path


@pytest.fixture(scope="module")
def parts():
    spec = default_feature_spec()
    return MoonshineBackend(), TextEncoder.from_spec(spec.text), spec


def run_paced(path, recogniser, parts, **worker_kw):
    _, encoder, spec = parts
    messages = []
    scheduler = WindowScheduler("main", spec.window_s, spec.hop_s, active=["text"])
    cache = TextSegmentCache(encoder, spec.text.dim, 600.0)
    worker = AsrWorker(recogniser, cache, scheduler, messages.append, "main", 0.0, 256, **worker_kw).start()
    capture = CaptureThread(MediaFileSource(path, video=False), on_packet=worker.put, speed=1.0)
    recogniser.clock = capture.pacer.stream_now  # commit times include the decode time, as in the monitor
    capture.start()
    capture.finished.wait(120)
    worker.end()
    worker.join(60)
    assert worker.exception is None and worker.done.is_set()
    committed = [w for m in messages if getattr(m, "kind", None) == "committed" for w in m.words]
    # by type name, not class: other tests re-import streammsa (lazy-import checks), which makes new classes
    statuses = [m for m in messages if getattr(m, "type", None) == StatusEvent.type]
    return worker, committed, statuses


def test_a_slowed_recogniser_degrades_reports_it_and_its_lag_stays_bounded(speech_file, parts):
    slow = SegmentedRecogniser(SlowBackend(parts[0], delay_s=1.0))
    worker, words, statuses = run_paced(speech_file, slow, parts)
    degraded = [s for s in statuses if s.state == "degraded"]
    assert degraded and degraded[0].detail.startswith("speech recognition is ")
    assert " s behind: decoding" in degraded[0].detail  # and what it does about it
    # the worker drains its queue before each decode, so the backlog stays about one decode (~1.1 s, under
    # every backlog threshold): what tells is a decode (over 1 s) longer than the 0.5-s step, from the
    # first decode on (speech starts at 0.8 s), whatever else the machine is doing
    assert degraded[0].t < 3.0 and worker.decode_cost_s > slow.config.step_s
    assert "a decode takes " in degraded[0].detail
    # and it never claims to have caught up: a 1-s decode can never keep a 0.5-s step
    assert all(s.state == "degraded" for s in statuses) and slow.mode != "normal"
    assert len(words) >= 4 * 15  # the words still come: four sentences of 16
    lags = [w["committed_at"] - w["end"] for w in words]
    print("commit lags (s):", [round(x, 1) for x in lags], "max behind", round(worker.max_seen_behind_s, 1))
    # a decode every 0.5 s costing over 1 s would fall further behind with every sentence; degraded, it
    # commits each word at worst about one segment (max_segment_s) plus a few slowed decodes after it
    # was spoken, and the last sentence is no later than the first
    assert max(lags) < slow.config.max_segment_s + 4.0 and worker.max_seen_behind_s < worker.max_behind_s
    assert np.mean(lags[-16:]) < np.mean(lags[:16]) + 2.0
    assert worker.skipped_s == 0.0


def test_far_behind_it_skips_audio_rather_than_lag_and_says_so(speech_file, parts):
    slow = SegmentedRecogniser(SlowBackend(parts[0], delay_s=4.0))
    worker, words, statuses = run_paced(speech_file, slow, parts, max_behind_s=3.0)
    assert worker.skipped_s > 0
    assert any("skipped" in s.detail for s in statuses if s.state == "degraded")
    lags = [w["committed_at"] - w["end"] for w in words]
    assert lags and max(lags) < 3.0 + 2 * 4.0 + 2.0  # the skip bound plus two slowed decodes
