"""``Participants``: a meeting's people as one voice + one face each, fed with the stream's packets.

    p = Participants()
    p.add_audio(samples, t)          # AudioChunk: float32 mono 16 kHz at stream time t
    p.add_frame(image, t)            # VideoFrame: RGB uint8 at stream time t
    p.speaking(t0, t1)               # {participant: seconds speaking in [t0, t1)} (final part only)
    p.face_track(k)                  # the face track of participant k, or None (heard, not seen)
    p.roster()                       # [Participant(id, track)], plus p.silent_faces(): seen, never heard
    p.finish()                       # end of stream

A participant is a voice (a diarized speaker; its id is the speaker's) with the face whose mouth
moves with it. Everything answers on the stream clock, final after the diarizer's bounded delay
(``final_until``). Pairings are re-decided from all the evidence so far each time they are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from streammsa.features.face_tracks import FaceObservation, FaceTracker, FaceTrackerConfig
from streammsa.participants.association import AssociationConfig
from streammsa.participants.pairing import FacePairing
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.online import OnlineDiarizer


@dataclass(frozen=True)
class ParticipantsConfig:
    diarization: DiarizationConfig = field(default_factory=DiarizationConfig)
    faces: FaceTrackerConfig = field(default_factory=FaceTrackerConfig)
    association: AssociationConfig = field(default_factory=AssociationConfig)


@dataclass(frozen=True)
class Participant:
    id: int  # the voice (diarized speaker)
    track: int | None  # its face track; None: heard but not seen


class Participants:
    def __init__(
        self,
        config: ParticipantsConfig | None = None,
        diarizer: OnlineDiarizer | None = None,
        tracker: FaceTracker | None = None,
        video: bool = True,
    ) -> None:
        self.config = cfg = config or ParticipantsConfig()
        self.diarizer = diarizer or OnlineDiarizer(cfg.diarization)
        self.tracker = tracker if tracker is not None or not video else FaceTracker(cfg.faces)
        self.pairing = FacePairing(cfg.association, cfg.faces.fps)
        self.associator = self.pairing.associator

    # ---- input ----------------------------------------------------------------------------

    def add_audio(self, samples: np.ndarray, t: float | None = None) -> None:
        self.diarizer.insert_audio_chunk(samples, t)
        self.diarizer.process()
        self.pairing.drain(self.diarizer)

    def add_frame(self, image: np.ndarray, t: float) -> list[FaceObservation]:
        """Analyse the frame if the face rate allows it; returns its faces (empty when skipped)."""
        if self.tracker is None or not self.tracker.due(t):
            return []
        faces = self.tracker.process(image, t)
        self.pairing.add(faces)
        self.pairing.drain(self.diarizer)
        return faces

    def finish(self) -> None:
        self.diarizer.finish()
        self.pairing.flush()
        self.pairing.drain(self.diarizer)

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.close()

    # ---- answers --------------------------------------------------------------------------

    @property
    def final_until(self) -> float:
        return self.diarizer.final_until

    def speaking(self, t0: float, t1: float) -> dict[int, float]:
        return self.diarizer.speaking(t0, t1)

    def face_track(self, participant: int) -> int | None:
        return self.associator.pairs().get(participant)

    def roster(self) -> list[Participant]:
        pairs = self.associator.pairs()
        return [Participant(k, pairs.get(k)) for k in range(self.diarizer.num_speakers)]

    def silent_faces(self) -> list[int]:
        """Face tracks seen but paired with no voice."""
        paired = set(self.associator.pairs().values())
        return sorted(t for t in (self.tracker.tracks if self.tracker else {}) if t not in paired)

    def observations(self, participant: int, t0: float, t1: float) -> list[FaceObservation]:
        """The participant's face in [t0, t1) (empty when it has none)."""
        track = self.face_track(participant)
        if track is None or self.tracker is None:
            return []
        return [o for o in self.tracker.tracks[track].observations if t0 <= o.t < t1]
