"""Builds the participant workers of one run: the diarizer for the mode, the multi-face tracker reading
the same 62 face features as the single-face extractor, and the frame filter of a file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from streammsa.capture.pacing import CaptureThread
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.face_tracks import FaceTracker
from streammsa.features.vision import RateGate
from streammsa.monitor.components import Components
from streammsa.monitor.config import MonitorConfig
from streammsa.monitor.meeting import Meeting
from streammsa.monitor.participant_workers import FacesWorker, SpeakersWorker
from streammsa.participants.pairing import FacePairing
from streammsa.participants.roster import ParticipantsConfig
from streammsa.protocol import Message
from streammsa.speakers.deferred import DeferredDiarizer
from streammsa.speakers.online import OnlineDiarizer

MAX_FACES = 4  # faces analysed per frame when no number of people is given


def participant_workers(
    config: MonitorConfig,
    components: Components,
    meeting: Meeting,
    scheduler: WindowScheduler,
    emit: Callable[[Message], None],
    has_audio: bool,
    has_video: bool,
    captures: Sequence[CaptureThread],
) -> tuple[SpeakersWorker | None, FacesWorker | None]:
    expected = config.participants or None  # 0: found automatically
    cfg = ParticipantsConfig()
    if expected:
        cfg = dataclasses.replace(cfg, diarization=dataclasses.replace(cfg.diarization, max_speakers=expected))
    speakers = None
    if has_audio:
        # --fast hears the whole meeting first (batch clustering, docs/meetings.md); paced and live decide as it goes
        if config.fast:
            diarizer: DeferredDiarizer | OnlineDiarizer = DeferredDiarizer(cfg.diarization, num_speakers=expected)
        else:
            diarizer = OnlineDiarizer(cfg.diarization)
        speakers = SpeakersWorker(diarizer, meeting, scheduler, emit, config.workers.audio_queue_packets(config.fast))
        meeting.speakers_done = speakers.done
    else:
        meeting.speakers_done.set()  # nobody to hear: faces are paired with no voice
    faces = None
    if has_video:
        extractor = components.face_extractor_factory()  # its FER classifier reads every face's expression
        face_cfg = dataclasses.replace(cfg.faces, fps=extractor.fps, max_faces=expected or MAX_FACES)
        tracker = FaceTracker(face_cfg, expression=extractor.expression)
        for capture in captures:
            capture.filter_frames(RateGate(extractor.fps))  # a file converts only the frames the tracker analyses
        faces = FacesWorker(
            tracker,
            FacePairing(cfg.association, extractor.fps),
            meeting,
            scheduler,
            emit,
            vision_dim=components.engine.spec.vision.dim,
            maxsize=config.workers.queue_packets,
            live=config.live,
            face_extractor=extractor,
        )
    return speakers, faces
