"""Voices to faces: the associator's rule, then ``Participants`` end to end on a real GRID meeting."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.capture.packets import AudioChunk, VideoFrame
from streammsa.participants.association import AssociationConfig, VoiceFaceAssociator
from streammsa.participants.metrics import diarization_error_rate
from streammsa.participants.roster import Participants
from streammsa.participants.truth import Segment


def test_pairs_follow_correlation_and_leave_unseen_voices_and_silent_faces_alone():
    rng = np.random.default_rng(0)
    a = VoiceFaceAssociator(AssociationConfig(min_correlation=0.2, min_evidence_s=1.0))
    talk = np.zeros((600, 3))
    talk[0:200, 0] = talk[200:400, 1] = talk[400:600, 2] = 1  # three voices in turn; voice 2 has no face
    for k in range(600):
        speaking = {s: float(talk[k, s]) for s in range(3)}
        a.add(7, talk[k, 0] * 0.1 + 0.01 * rng.random(), speaking, 0.1)  # face 7 moves with voice 0
        a.add(9, talk[k, 1] * 0.1 + 0.01 * rng.random(), speaking, 0.1)  # face 9 with voice 1
        a.add(4, 0.01 * rng.random(), speaking, 0.1)  # face 4 never speaks
    assert a.pairs() == {0: 7, 1: 9}
    assert a.correlation(0, 7) > 0.9 and abs(a.correlation(2, 4)) < 0.2


@pytest.mark.data
@pytest.mark.slow
def test_participants_pair_each_voice_with_its_face_as_the_stream_arrives(grid_meeting):
    folder, truth = grid_meeting
    p = Participants()
    try:
        with MediaFileSource(folder / truth.media) as src:
            for pkt in src:
                if isinstance(pkt, AudioChunk):
                    p.add_audio(pkt.samples, pkt.t)
                elif isinstance(pkt, VideoFrame):
                    p.add_frame(pkt.image, pkt.t)
        p.finish()
        tracks = p.tracker.tracks
        person = {
            tid: Counter(truth.person_at(*o.centre) for o in tr.observations).most_common(1)[0][0]
            for tid, tr in tracks.items()
        }
        assert sorted(person.values()) == sorted(truth.tiles)  # one track per face on screen
        hyp = [Segment(str(t.speaker), t.start, t.end) for t in p.diarizer.diarization().turns]
        assert diarization_error_rate(truth.segments, hyp, truth.duration).der < 0.15
        roster = {r.id: r.track for r in p.roster()}
        # each voice's face is the face of the person whose speech that voice mostly is
        for voice, track in roster.items():
            said = p.speaking(0, truth.duration).get(voice, 0.0)
            if said < 3.0:
                continue
            overlap = Counter()
            for t in p.diarizer.diarization().turns:
                if t.speaker == voice:
                    for s in truth.segments:
                        overlap[s.person] += max(0.0, min(s.end, t.end) - max(s.start, t.start))
            assert track is not None and person[track] == overlap.most_common(1)[0][0]
        silent = set(truth.tiles) - set(truth.speakers)
        assert {person[t] for t in p.silent_faces()} >= silent  # the listener stays a face without a voice
        some = next(r for r in p.roster() if r.track is not None)
        assert p.observations(some.id, 0, truth.duration)
    finally:
        p.close()
