"""Voice-face pairing as the stream goes: mouth samples wait until the voices of their moment are decided.

``FacePairing`` is the face half of ``Participants`` on its own, so a face thread can run it while
another thread diarizes: ``add(faces)`` per analysed frame, ``drain(speakers)`` whenever the
diarization has moved on (``speakers``: anything with ``final_until``, ``speaking(t0, t1)`` and
``num_speakers``, e.g. the diarizer itself or ``SpeakerActivity``), ``pairs()`` for the current pairing.
"""

from __future__ import annotations

from typing import Protocol

from streammsa.features.face_tracks import FaceObservation
from streammsa.participants.association import AssociationConfig, VoiceFaceAssociator
from streammsa.participants.mouth import MouthMotion, MouthSample


class DecidedSpeakers(Protocol):
    @property
    def final_until(self) -> float: ...

    @property
    def num_speakers(self) -> int: ...

    def speaking(self, t0: float, t1: float) -> dict[int, float]: ...


class FacePairing:
    def __init__(self, config: AssociationConfig, fps: float) -> None:
        self.associator = VoiceFaceAssociator(config)
        self._mouth = MouthMotion(config.mouth_window_s)
        self._waiting: list[MouthSample] = []  # mouth samples the diarization has not reached yet
        self._dt = 1.0 / fps

    def add(self, faces: list[FaceObservation]) -> None:
        for obs in faces:
            self._waiting += self._mouth.push(obs)

    def flush(self) -> None:
        """End of the stream: the last mouth samples too."""
        self._waiting += self._mouth.flush()

    def drain(self, speakers: DecidedSpeakers) -> None:
        final = speakers.final_until
        ready = [s for s in self._waiting if s.t + self._dt / 2 <= final]
        if not ready:
            return
        self._waiting = [s for s in self._waiting if s.t + self._dt / 2 > final]
        n = speakers.num_speakers
        for s in ready:
            talk = speakers.speaking(s.t - self._dt / 2, s.t + self._dt / 2)
            share = {k: min(1.0, v / self._dt) for k, v in talk.items()}
            share.update({k: 0.0 for k in range(n) if k not in share})
            self.associator.add(s.track, s.motion, share, self._dt)

    def pairs(self) -> dict[int, int]:
        return self.associator.pairs()
