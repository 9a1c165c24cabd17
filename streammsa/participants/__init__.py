"""Meetings with several people: one participant = one voice + one face.

- ``face_tracks`` (in ``streammsa.features``) follows every face in view with a stable id;
- ``mouth``: how much each face's mouth moves, frame by frame;
- ``association``: which voice (diarized speaker) belongs to which face, from mouth movement that
  goes with the voice's speech over time;
- ``roster``: ``Participants`` takes audio chunks and frames on the stream clock and answers "who is
  speaking in [t0, t1)" and "which face track belongs to participant k";
- ``sources``, ``plan``, ``render``, ``truth``: meetings built from real clips (GRID talking faces,
  RAVDESS and EmoDB voices) whose ground truth is known by construction;
- ``metrics`` (DER, speaker-face association, word attribution) and ``evaluate`` (one meeting).
"""
