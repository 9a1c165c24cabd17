"""A meeting's shared state in participants mode, and each participant's window inputs.

``Meeting`` is written by the participant workers (``monitor/participant_workers.py``: the speakers
worker diarizes, the faces worker tracks faces and pairs them with voices; both keep the directory of
participant streams up to date) and read by the engine loop, which slices one window per participant:

- voice (``audio``, and its ``speech`` evidence): the room's voice features and speech probability
  kept only where the diarizer says this participant's voice speaks;
- words (``text``): the room's word tokens whose word this participant speaks (who speaks most
  around it);
- face (``vision``, ``face_checks``): the features of this participant's own face track.

A participant never seen has no face and one never heard has no voice or words: absent, not guessed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streammsa.asr.words import Word
from streammsa.features.cache import FeatureCache
from streammsa.participants.directory import ParticipantDirectory, ParticipantStream
from streammsa.participants.speaker_activity import SpeakerActivity
from streammsa.protocol import ParticipantEvent
from streammsa.speakers.segmentation import FRAME_STEP_S
from streammsa.speakers.turns import frame_start

# A word belongs to whoever speaks most around its midpoint (the time its tokens carry, features/text.py);
# diarization boundaries are off by 0.1-0.2 s, so a word with nobody under it looks a little further.
WORD_SPAN_S = 0.15
WORD_REACH_S = 0.4
# A voice waits for this much speech to be paired with a face (the associator needs 2 s of it) before it gets
# a stream of its own: else a person seen, then heard, would be two participants for a moment.
VOICE_WAIT_S = 4.0


@dataclass
class Meeting:
    activity: SpeakerActivity = field(default_factory=SpeakerActivity)
    directory: ParticipantDirectory = field(default_factory=ParticipantDirectory)
    horizon_s: float = 600.0
    has_video: bool = True
    # --fast: the voices are decided all at once, before the faces worker may have seen every frame; a voice
    # then gets a stream only from the last pairing (else it could stand alone a moment and take words)
    voices_wait_for_pairing: bool = False
    # set once the speakers worker has decided everything (the faces worker's last pairing waits for it)
    speakers_done: threading.Event = field(default_factory=threading.Event)
    _faces: dict[int, tuple[FeatureCache, FeatureCache]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # what each worker last said (the directory is brought up to date from both)
    _heard: dict[int, float] = field(default_factory=dict)  # voice -> last decided speech (stream time)
    _first_heard: dict[int, float] = field(default_factory=dict)  # voice -> its first decided speech
    _speech_s: dict[int, float] = field(default_factory=dict)  # voice -> decided speech so far (seconds)
    _pairs: dict[int, int] = field(default_factory=dict)  # voice -> face track
    _seen: dict[int, float] = field(default_factory=dict)  # face track in view -> seconds tracked
    _faces_ever: bool = False
    _t: float = 0.0
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- written by the participants worker ----------------------------------------------------

    def face_caches(self, track: int, dim: int) -> tuple[FeatureCache, FeatureCache]:
        """(features, checks) of one face track, created on first use."""
        with self._lock:
            if track not in self._faces:
                self._faces[track] = (
                    FeatureCache(dim, self.horizon_s, name=f"vision/face{track}"),
                    FeatureCache(1, self.horizon_s, name=f"face_checks/face{track}"),
                )
            return self._faces[track]

    def heard(self, rows: np.ndarray, first_frame: int) -> None:
        """The speakers worker decided ``rows`` (frames from ``first_frame``): keep them, and who spoke."""
        if not len(rows):
            return
        with self._lock:  # (who spoke first: a reader that sees the new frames also sees their voices)
            for s in np.flatnonzero(rows.any(axis=0)):
                last = len(rows) - 1 - int(np.argmax(rows[::-1, s]))
                self._heard[int(s)] = float(frame_start(first_frame + last)) + FRAME_STEP_S
                self._first_heard.setdefault(int(s), float(frame_start(first_frame + int(np.argmax(rows[:, s])))))
                self._speech_s[int(s)] = self._speech_s.get(int(s), 0.0) + float(rows[:, s].sum()) * FRAME_STEP_S
        self.activity.extend(rows)

    def seen(self, pairs: dict[int, int], in_view: dict[int, float]) -> None:
        """The faces worker's latest pairing and the face tracks in view (-> seconds tracked)."""
        with self._lock:
            self._pairs, self._seen = dict(pairs), dict(in_view)
            self._faces_ever = self._faces_ever or bool(in_view)

    def refresh(self, t: float, emit: Callable[[ParticipantEvent], None], final: bool = False) -> None:
        """Bring the participant streams up to stream time ``t`` and send what changed (either worker calls it)."""
        with self._refresh_lock:  # one update at a time, so the messages go out in the order they happened
            with self._lock:
                self._t = t = max(self._t, t)
                known = self.directory.voices()
                heard = {
                    v: last
                    for v, last in self._heard.items()
                    if final or not self._faces_ever or self._speech_s.get(v, 0.0) >= VOICE_WAIT_S or v in known
                }
                pairs, seen = dict(self._pairs), dict(self._seen)
                if self.voices_wait_for_pairing and not final:
                    heard, pairs = {}, {}
            for ev in self.directory.update(t, pairs, heard, seen):
                emit(ev)

    def waiting_since(self) -> float:
        """First speech of the earliest voice heard but without a stream yet (inf: none): the readings from there
        on may still get that voice and its words."""
        known = self.directory.voices()
        with self._lock:
            return min((t for v, t in self._first_heard.items() if v not in known), default=float("inf"))

    def evict_before(self, t: float) -> None:
        with self._lock:
            caches = [c for pair in self._faces.values() for c in pair]
        for c in caches:
            c.evict_before(t)

    # ---- read by the engine loop ---------------------------------------------------------------

    def speaker_at(self, mid: float) -> int | None:
        """Who speaks the word whose midpoint is ``mid`` (None: nobody decided there)."""
        who = self.activity.main_speaker(mid - WORD_SPAN_S, mid + WORD_SPAN_S)
        return who if who is not None else self.activity.main_speaker(mid - WORD_REACH_S, mid + WORD_REACH_S)

    def speaker_of(self, word: Word) -> int | None:
        return self.speaker_at(0.5 * (word.start + word.end))

    def words_of(self, voice: int | None, words: Sequence[Word]) -> list[Word]:
        """The words ``voice`` speaks (none for a participant never heard)."""
        if voice is None:
            return []
        return [w for w in words if self.speaker_of(w) == voice]

    def caches_for(self, participant: ParticipantStream, room: dict[str, Any]) -> dict[str, Any]:
        """The caches ``slice_window`` reads for one participant, as views over the room's."""
        v, f = participant.voice, participant.face
        with self._lock:
            face = self._faces.get(f) if f is not None else None
        out: dict[str, Any] = {m: None for m in ("text", "audio", "speech", "voice_states", "vision", "face_checks")}
        if v is not None and room.get("audio") is not None:
            out["audio"] = _VoiceView(room["audio"], self.activity, v)
            if room.get("voice_states") is not None:
                out["voice_states"] = _VoiceView(room["voice_states"], self.activity, v)
            if room.get("speech") is not None:
                out["speech"] = _VoiceView(room["speech"], self.activity, v, scale=True)
        if v is not None and room.get("text") is not None:
            out["text"] = _WordsView(room["text"], self, v)
        if face is not None:
            out["vision"], out["face_checks"] = face
        return out


class _VoiceView:
    """A room cache's rows where one voice speaks (``scale``: every row kept, the others' set to 0,
    so the speech-probability track still counts the frames this voice is quiet in)."""

    def __init__(self, cache: Any, activity: SpeakerActivity, voice: int, scale: bool = False) -> None:
        self.cache, self.activity, self.voice, self.scale = cache, activity, voice, scale

    def slice(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        times, values = self.cache.slice(t0, t1)
        mine = self.activity.speaking_at(self.voice, times)
        if self.scale:
            return times, np.where(mine[:, None], values, 0.0).astype(np.float32)
        return times[mine], values[mine]


class _WordsView:
    """The room's word tokens whose word this voice speaks (tokens are timed by their word)."""

    def __init__(self, cache: Any, meeting: Meeting, voice: int) -> None:
        self.cache, self.meeting, self.voice = cache, meeting, voice

    def slice(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        times, values = self.cache.slice(t0, t1)
        if not len(times):
            return times, values
        who = {t: self.meeting.speaker_at(float(t)) for t in np.unique(times)}
        keep = np.array([who[t] == self.voice for t in times], dtype=bool)
        return times[keep], values[keep]
