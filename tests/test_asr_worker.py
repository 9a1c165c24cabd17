"""File -> CaptureThread -> AudioRing -> ASRWorker -> TranscriptEvents, with the real model."""

from __future__ import annotations

import difflib
import subprocess

import pytest

from streammsa.asr.fast import BatchASRProcessor, BatchConfig
from streammsa.asr.online import OnlineASRProcessor, OnlineConfig
from streammsa.asr.whisper_backend import WhisperBackend, WhisperConfig
from streammsa.asr.words import normalise
from streammsa.asr.worker import ASRWorker
from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.ring_buffer import AudioRing

pytestmark = pytest.mark.slow

SENTENCE = "Thanks everyone, the budget is approved and we start on Monday."
EXPECTED = [normalise(w) for w in SENTENCE.split()]


@pytest.fixture(scope="module")
def backend():
    return WhisperBackend(WhisperConfig(cpu_threads=2))


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("worker") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True, timeout=30)
    return path


def run_pipeline(path, processor_factory, speed):
    ring = AudioRing(capacity_s=30)
    cap = CaptureThread(MediaFileSource(path), audio_ring=ring, speed=speed, stream="s1")
    processor = processor_factory(cap)
    events = []
    worker = ASRWorker(processor, ring, on_event=events.append, source_done=cap.finished.is_set, stream="s1")
    cap.start()
    worker.start()
    assert cap.join(timeout=60)
    assert worker.join(timeout=60)
    return events, worker, ring


def committed_words(events):
    return [w for e in events if e.kind == "committed" for w in e.words]


def test_paced_replay_streams_committed_words_with_commit_times(backend, wav):
    events, worker, ring = run_pipeline(
        wav, lambda cap: OnlineASRProcessor(backend, OnlineConfig(min_chunk_s=1.0), clock=cap.pacer.stream_now),
        speed=1.5)
    words = committed_words(events)
    got = [normalise(w["w"]) for w in words]
    assert difflib.SequenceMatcher(a=got, b=EXPECTED).ratio() >= 0.9
    assert all(e.stream == "s1" for e in events)
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    # committed_at is stream time from the pacer, so it includes decoding time: never before the word ended.
    assert all(w["committed_at"] >= w["end"] for w in words)
    assert any(e.kind == "partial" and e.words for e in events)
    assert worker.skipped_s == 0 and ring.dropped == 0


def test_fast_replay_with_the_batch_processor_gives_the_same_event_types(backend, wav):
    events, _, _ = run_pipeline(wav, lambda cap: BatchASRProcessor(backend, BatchConfig(chunk_s=60)), speed=None)
    words = committed_words(events)
    got = [normalise(w["w"]) for w in words]
    assert difflib.SequenceMatcher(a=got, b=EXPECTED).ratio() >= 0.9
    assert {e.kind for e in events} <= {"committed", "partial"}
    assert set(words[0]) >= {"w", "start", "end", "p", "committed_at"}
