"""Participants mode: who speaks (speakers worker) and whose face (faces worker), on two threads.

The speakers worker diarizes the audio and writes each newly decided stretch of who-speaks-when into
``Meeting``; the faces worker tracks every face, writes each track's 62 vision features (the ones the
single-face extractor gives, so the model reads them as trained) with its evidence checks, and pairs
voices with faces from mouth movement against the decided voices (``participants/pairing.py``). Both
bring the participant directory up to date, whose changes go out as ``participant`` messages. Two
threads because each is about half a core on a meeting with two faces (docs/meetings.md).

Watermarks: "speakers" follows the decided stream time, "people" passes when the last pairing is made
(only ``--fast`` windows wait for these two; paced and live windows are revised as voices are decided),
"vision" the last analysed frame. In this mode the
faces worker replaces the single-face vision worker: every face is analysed once.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import numpy as np

from streammsa.capture.packets import AudioChunk, VideoFrame
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.face_tracks import FaceTracker
from streammsa.monitor.meeting import Meeting
from streammsa.monitor.workers import QueueWorker, VisionFeatureWorker
from streammsa.participants.pairing import FacePairing
from streammsa.protocol import Message
from streammsa.speakers.turns import frame_start

REFRESH_EVERY_S = 0.5  # how often (stream time) each worker brings the participant streams up to date


class SpeakersWorker(QueueWorker):
    """Audio chunks -> diarizer -> decided speaker activity (``Meeting.heard``); never drops audio."""

    def __init__(
        self,
        diarizer: Any,
        meeting: Meeting,
        scheduler: WindowScheduler,
        emit: Callable[[Message], None],
        maxsize: int,
    ) -> None:
        super().__init__("speakers", maxsize)
        self.diarizer, self.meeting, self.scheduler, self.emit = diarizer, meeting, scheduler, emit
        self._copied = 0  # diarizer frames handed to the meeting
        self._t = 0.0
        self._next_refresh = 0.0

    def handle(self, chunk: AudioChunk) -> None:
        self.diarizer.insert_audio_chunk(chunk.samples, chunk.t)
        self.diarizer.process()
        self._t = max(self._t, chunk.t_end)
        self._sync()

    def finish(self) -> None:
        self.diarizer.finish()
        self._sync(final=True)
        self.scheduler.advance("speakers", float("inf"))
        if not self.meeting.has_video:
            self.scheduler.advance("people", float("inf"))

    def _sync(self, final: bool = False) -> None:
        rows = self.diarizer.final_activity(self._copied)
        if len(rows):
            self.meeting.heard(rows, self._copied)
            self._copied += len(rows)
            self.scheduler.advance("speakers", float(frame_start(self._copied)))
        if final:
            if not self.meeting.has_video:  # else the faces worker's last pairing decides who is who
                self.meeting.refresh(self._t, self.emit, final=True)
        elif self._t >= self._next_refresh:
            self._next_refresh = self._t + REFRESH_EVERY_S
            self.meeting.refresh(self._t, self.emit)


class FacesWorker(VisionFeatureWorker):
    """Frames -> every face tracked (its features per track) -> voice-face pairs (``Meeting.seen``)."""

    def __init__(
        self,
        tracker: FaceTracker,
        pairing: FacePairing,
        meeting: Meeting,
        scheduler: WindowScheduler,
        emit: Callable[[Message], None],
        vision_dim: int,
        maxsize: int,
        live: bool,
        face_extractor: Any = None,
    ) -> None:
        super().__init__(None, None, scheduler, maxsize, live)  # type: ignore[arg-type]
        self.name = "faces"
        self.tracker, self.pairing, self.meeting, self.emit = tracker, pairing, meeting, emit
        self.vision_dim = vision_dim
        self.face_extractor = face_extractor  # lends the tracker its expression classifier; closed with it
        self._t = 0.0
        self._next_refresh = 0.0

    def put(self, item: Any) -> None:
        if self.drop_when_full and isinstance(item, VideoFrame):
            try:  # live: under load the newest frame waits for no one
                self.queue.put_nowait(item)
            except queue.Full:
                self.dropped += 1
            return
        super().put(item)

    def _analyse(self, frame: VideoFrame) -> None:
        self.frames_seen += 1
        if self.tracker.due(frame.t):
            faces = self.tracker.process(frame.image, frame.t)
            self.analysed += 1
            self.faces += len(faces)
            for o in faces:
                feats, checks = self.meeting.face_caches(o.track, self.vision_dim)
                if o.features is not None:
                    feats.append(frame.t, o.features)
                checks.append(frame.t, np.array([1.0 if o.features is not None else 0.0], np.float32))
            found = {o.track for o in faces}
            for tr in self.tracker.live_tracks(frame.t):  # a face in view a moment ago, not found now
                if tr.id not in found:
                    self.meeting.face_caches(tr.id, self.vision_dim)[1].append(frame.t, np.zeros(1, np.float32))
            self.pairing.add(faces)
        self._t = max(self._t, frame.t)
        self.scheduler.advance("vision", frame.t)
        self._pair()

    def finish(self) -> None:
        self.pairing.flush()
        # the last pairs need every voice decided: wait (bounded) for the speakers worker to finish
        self.meeting.speakers_done.wait(timeout=600)
        self._pair(final=True)
        self.scheduler.advance("vision", float("inf"))
        self.scheduler.advance("people", float("inf"))

    def release(self) -> None:
        self.tracker.close()
        if self.face_extractor is not None:
            self.face_extractor.close()

    def _pair(self, final: bool = False) -> None:
        self.pairing.drain(self.meeting.activity)
        if final or self._t >= self._next_refresh:
            self._next_refresh = self._t + REFRESH_EVERY_S
            in_view = {tr.id: tr.last_t - tr.first_t for tr in self.tracker.live_tracks(self._t)}
            self.meeting.seen(self.pairing.pairs(), in_view)
            self.meeting.refresh(self._t, self.emit, final=final)
