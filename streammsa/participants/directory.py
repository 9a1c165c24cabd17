"""The meeting's participants as the monitor shows them: a stable reading stream and a name per person.

The diarizer numbers voices, the face tracker numbers face tracks, and the associator pairs them;
each of these can appear, change its mind or disappear. ``ParticipantDirectory`` turns that into
what a user follows: participant streams "p1", "p2", ... that never change their id, each with a
name ("Person 1" until the user renames it), its current voice and face, and ``ParticipantEvent``
messages whenever one joins, changes, leaves or is renamed.

Rules (why: a person's history must stay under one id):
- a voice or a face seen for the first time with no partner gets a stream of its own;
- when the associator pairs a voice with a face that each already have a stream, the older stream
  keeps both and the newer one leaves (what was read under it stays in the recording under its id);
- a stream whose face is out of view and whose voice has been quiet for ``leave_after_s`` leaves, and
  joins again (same id) when that voice or face comes back; a voice never seen never leaves (quiet is
  not gone).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from streammsa.protocol import ParticipantEvent

MAX_NAME = 40


@dataclass
class ParticipantStream:
    stream: str
    name: str
    voice: int | None = None
    face: int | None = None
    last_seen: float = 0.0
    present: bool = True
    merged: bool = False  # joined another participant's stream: never comes back


class ParticipantDirectory:
    def __init__(self, leave_after_s: float = 15.0, min_face_s: float = 1.0) -> None:
        self.leave_after_s = leave_after_s
        self.min_face_s = min_face_s  # a face must be tracked this long before it counts as a person
        self._lock = threading.Lock()
        self._streams: list[ParticipantStream] = []
        self._by_voice: dict[int, ParticipantStream] = {}
        self._by_face: dict[int, ParticipantStream] = {}
        self.version = 0  # +1 on every change (a reader re-reads the streams when it moved)

    # ---- reading ----------------------------------------------------------------------------

    def streams(self) -> list[ParticipantStream]:
        """Every participant stream so far (present or not), in order of joining (copies)."""
        with self._lock:
            return [ParticipantStream(**vars(p)) for p in self._streams if not p.merged]

    def voices(self) -> set[int]:
        with self._lock:
            return set(self._by_voice)

    def stream_of_voice(self) -> dict[int, str]:
        with self._lock:
            return {v: p.stream for v, p in self._by_voice.items()}

    def name(self, stream: str) -> str | None:
        with self._lock:
            return next((p.name for p in self._streams if p.stream == stream), None)

    # ---- updates ----------------------------------------------------------------------------

    def update(
        self,
        t: float,
        pairs: dict[int, int],
        heard: dict[int, float],
        seen: dict[int, float],
    ) -> list[ParticipantEvent]:
        """Bring the directory up to stream time ``t``.

        pairs: voice -> face track (the associator's current one-to-one pairing);
        heard: voice -> the last stream time it spoke (decided speech);
        seen: face track -> seconds it has been tracked, for the tracks in view at ``t``.
        """
        events: list[ParticipantEvent] = []
        with self._lock:
            for voice, face in sorted(pairs.items()):
                events += self._pair(voice, face, t)
            for voice, last in sorted(heard.items()):
                p = self._by_voice.get(voice)
                if p is None:
                    p = self._new(t, voice=voice)
                    events.append(self._event(p, "joined", t))
                p.last_seen = max(p.last_seen, last)
            for face, tracked_s in sorted(seen.items()):
                p = self._by_face.get(face)
                if p is None and tracked_s >= self.min_face_s and face not in pairs.values():
                    p = self._new(t, face=face)
                    events.append(self._event(p, "joined", t))
                if p is not None:
                    p.last_seen = t
            for p in self._streams:
                if p.merged:
                    continue
                in_view = p.face is not None and p.face in seen
                # only someone seen can be seen to go: a voice alone that falls quiet may just be listening
                gone = p.face is not None and not in_view and t - p.last_seen > self.leave_after_s
                if p.present and gone:
                    p.present = False
                    events.append(self._event(p, "left", t))
                elif not p.present and (in_view or t - p.last_seen <= self.leave_after_s):
                    p.present = True
                    events.append(self._event(p, "joined", t))
            self.version += bool(events)
        return events

    def rename(self, stream: str, name: str, t: float = 0.0) -> ParticipantEvent:
        """A user's name for ``stream``; raises ValueError for an unknown stream or an unusable name."""
        # control characters are refused before spaces are tidied: str.split() would turn a line break, a tab
        # or \x1c-\x1f into a space and let them through (server/rename.py refuses them too)
        raw = str(name).strip()
        name = " ".join(raw.split())
        if not 1 <= len(name) <= MAX_NAME or not raw.isprintable():
            raise ValueError(f"a participant's name must be 1-{MAX_NAME} printable characters")
        with self._lock:
            p = next((p for p in self._streams if p.stream == stream and not p.merged), None)
            if p is None:
                raise ValueError(f"no participant stream {stream!r}")
            p.name = name
            self.version += 1
            return self._event(p, "renamed", t)

    # ---- helpers ----------------------------------------------------------------------------

    def _new(self, t: float, voice: int | None = None, face: int | None = None) -> ParticipantStream:
        n = len(self._streams) + 1
        p = ParticipantStream(f"p{n}", f"Person {n}", voice, face, last_seen=t)
        self._streams.append(p)
        if voice is not None:
            self._by_voice[voice] = p
        if face is not None:
            self._by_face[face] = p
        return p

    def _pair(self, voice: int, face: int, t: float) -> list[ParticipantEvent]:
        pv, pf = self._by_voice.get(voice), self._by_face.get(face)
        if pv is not None and pv is pf:
            return []
        if pv is None and pf is None:
            return [self._event(self._new(t, voice, face), "joined", t)]
        events = []
        keep, other = (pv, pf) if pf is None or (pv is not None and self._older(pv, pf)) else (pf, pv)
        if other is not None:  # two streams are one person: the newer one ends here
            other.merged, other.present = True, False
            if other.voice is not None and other.voice != voice:
                self._by_voice.pop(other.voice, None)
            if other.face is not None and other.face != face:
                self._by_face.pop(other.face, None)
            events.append(self._event(other, "left", t))
        for old_face, p in list(self._by_face.items()):  # the voice's earlier face is no longer its own
            if p is keep and old_face != face:
                del self._by_face[old_face]
        for old_voice, p in list(self._by_voice.items()):
            if p is keep and old_voice != voice:
                del self._by_voice[old_voice]
        keep.voice, keep.face = voice, face
        self._by_voice[voice] = self._by_face[face] = keep
        events.append(self._event(keep, "updated", t))
        return events

    def _older(self, a: ParticipantStream, b: ParticipantStream) -> bool:
        return self._streams.index(a) < self._streams.index(b)

    @staticmethod
    def _event(p: ParticipantStream, state: str, t: float) -> ParticipantEvent:
        return ParticipantEvent(stream=p.stream, name=p.name, state=state, voice=p.voice, face=p.face, t=t)  # type: ignore[arg-type]
