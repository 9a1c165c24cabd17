"""Run the participant components on one constructed meeting and score them against its truth.

``online``: the stream is fed packet by packet as a live run would (``Participants``: online
diarizer, face tracker, association as evidence arrives). ``batch``: the whole recording at once
(``BatchDiarizer``; faces and association over the whole file). Words come from the monitor's
recogniser (``streammsa.asr``; the ``--fast`` batch recogniser unless ``asr="online"``).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import AudioChunk, VideoFrame
from streammsa.errors import UsageError
from streammsa.features.face_tracks import FaceObservation, FaceTracker, FaceTrackerConfig
from streammsa.participants.association import VoiceFaceAssociator
from streammsa.participants.metrics import (
    DER,
    Association,
    WordAttribution,
    association_accuracy,
    diarization_error_rate,
    word_attribution,
)
from streammsa.participants.mouth import MouthMotion
from streammsa.participants.roster import Participants, ParticipantsConfig
from streammsa.participants.truth import MeetingTruth, Segment
from streammsa.speakers.batch import BatchDiarizer
from streammsa.speakers.embedding import SpeakerEmbedder
from streammsa.speakers.online import OnlineDiarizer
from streammsa.speakers.segmentation import SpeakerSegmenter
from streammsa.speakers.turns import Diarization

MODES = ("online", "batch")


@dataclass
class Models:
    """Models loaded once for many meetings."""

    segmenter: SpeakerSegmenter = field(default_factory=SpeakerSegmenter)
    embedder: SpeakerEmbedder = field(default_factory=SpeakerEmbedder)
    asr_backend: object | None = None
    words: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)  # (media, asr) -> words

    def whisper(self):
        if self.asr_backend is None:
            from streammsa.asr.whisper_backend import WhisperBackend, WhisperConfig

            self.asr_backend = WhisperBackend(WhisperConfig(cpu_threads=1))
        return self.asr_backend


@dataclass
class MeetingResult:
    name: str
    mode: str
    people: int  # reference speakers
    found: int  # speakers the diarizer found
    der: DER
    der_no_collar: DER
    association: Association | None
    words: WordAttribution | None
    seconds: dict[str, float]  # wall time per stage
    audio_s: float
    lag_s: tuple[float, float] | None = None  # online: median and 95th percentile of (audio end - final_until)


def _hypothesis(d: Diarization) -> list[Segment]:
    return [Segment(str(t.speaker), t.start, t.end) for t in d.turns]


def _track_people(tracker: FaceTracker, truth: MeetingTruth) -> dict[int, str | None]:
    """Each face track's person: the tile holding most of its observed centres."""
    out: dict[int, str | None] = {}
    for tid, tr in tracker.tracks.items():
        votes = Counter(truth.person_at(*o.centre) for o in tr.observations)
        out[tid] = votes.most_common(1)[0][0] if votes else None
    return out


def _packets(path: Path, video: bool):
    with MediaFileSource(path, video=video) as src:
        yield from src


def _online(truth: MeetingTruth, folder: Path, models: Models, video: bool):
    cfg = ParticipantsConfig()
    diarizer = OnlineDiarizer(cfg.diarization, models.segmenter, models.embedder)
    tracker = FaceTracker(cfg.faces) if video else None
    p = Participants(cfg, diarizer, tracker, video=video)
    audio, lags, t_faces = [], [], 0.0
    for pkt in _packets(folder / truth.media, video):
        if isinstance(pkt, AudioChunk):
            audio.append(pkt.samples)
            p.add_audio(pkt.samples, pkt.t)
            lags.append(diarizer.audio_end - diarizer.final_until)
        elif isinstance(pkt, VideoFrame):
            t0 = time.perf_counter()
            p.add_frame(pkt.image, pkt.t)
            t_faces += time.perf_counter() - t0
    p.finish()
    pairs = p.associator.pairs()
    people = _track_people(tracker, truth) if tracker else {}
    voice_face = {str(s): people.get(tr) for s, tr in pairs.items()}
    p.close()
    lag = (float(np.median(lags)), float(np.percentile(lags, 95))) if lags else None
    return diarizer.diarization(), voice_face, np.concatenate(audio), t_faces, lag


def _batch(truth: MeetingTruth, folder: Path, models: Models, video: bool):
    audio, observations, t_faces = [], [], 0.0
    tracker = FaceTracker(FaceTrackerConfig()) if video else None
    for pkt in _packets(folder / truth.media, video):
        if isinstance(pkt, AudioChunk):
            audio.append(pkt.samples)
        elif tracker is not None and isinstance(pkt, VideoFrame) and tracker.due(pkt.t):
            t0 = time.perf_counter()
            observations += tracker.process(pkt.image, pkt.t)
            t_faces += time.perf_counter() - t0
    samples = np.concatenate(audio)
    diarization = BatchDiarizer(segmenter=models.segmenter, embedder=models.embedder).diarize(samples)
    voice_face: dict[str, str | None] = {}
    if tracker is not None:
        voice_face = {
            str(s): _track_people(tracker, truth).get(tr)
            for s, tr in _associate(diarization, observations, tracker).items()
        }
        tracker.close()
    return diarization, voice_face, samples, t_faces, None


def _associate(d: Diarization, observations: list[FaceObservation], tracker: FaceTracker) -> dict[int, int]:
    cfg = ParticipantsConfig().association
    mouth, assoc = MouthMotion(cfg.mouth_window_s), VoiceFaceAssociator(cfg)
    samples = [s for o in observations for s in mouth.push(o)] + mouth.flush()
    dt = 1.0 / tracker.config.fps
    speakers = d.speakers
    for s in samples:
        talk = d.speaking(s.t - dt / 2, s.t + dt / 2)
        assoc.add(s.track, s.motion, {k: min(1.0, talk.get(k, 0.0) / dt) for k in speakers}, dt)
    return assoc.pairs()


def _words(samples: np.ndarray, models: Models, asr: str) -> list[tuple[float, float]]:
    from streammsa.asr.fast import BatchASRProcessor
    from streammsa.asr.online import OnlineASRProcessor

    rec = BatchASRProcessor(models.whisper()) if asr == "fast" else OnlineASRProcessor(models.whisper())
    words = []
    step = 16000 // 2
    for i in range(0, len(samples), step):
        rec.insert_audio_chunk(samples[i : i + step], i / 16000)
        if rec.ready:
            words += rec.process_iter().committed
    words += rec.finish()
    return [(w.start, w.end) for w in words]


def evaluate_meeting(
    folder: Path, mode: str = "online", models: Models | None = None, asr: str | None = "fast"
) -> MeetingResult:
    """Score one meeting folder (media + truth.json). ``asr``: "fast", "online" or None (no word score;
    also skipped for meetings not in English, which tiny.en cannot transcribe)."""
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    folder = Path(folder)
    truth = MeetingTruth.load(folder)
    models = models or Models()
    video = bool(truth.tiles)
    t0 = time.perf_counter()
    run = _online if mode == "online" else _batch
    diarization, voice_face, samples, t_faces, lag = run(truth, folder, models, video)
    seconds = {"speakers+faces": time.perf_counter() - t0, "faces": t_faces}
    hyp = _hypothesis(diarization)
    der = diarization_error_rate(truth.segments, hyp, truth.duration, collar=0.25)
    der0 = diarization_error_rate(truth.segments, hyp, truth.duration, collar=0.0)
    assoc = None
    if video:
        assoc = association_accuracy(truth.segments, hyp, truth.duration, voice_face, list(truth.tiles))
    words = None
    if asr and truth.language == "en":
        t1 = time.perf_counter()
        key = (str(folder / truth.media), asr)
        if key not in models.words:  # the words do not depend on the mode: recognise once per meeting
            models.words[key] = _words(samples, models, asr)
        words = word_attribution(models.words[key], truth.segments, hyp, truth.duration)
        seconds["asr"] = time.perf_counter() - t1
    return MeetingResult(
        truth.name,
        mode,
        len(truth.speakers),
        len(diarization.speakers),
        der,
        der0,
        assoc,
        words,
        seconds,
        len(samples) / 16000,
        lag,
    )
