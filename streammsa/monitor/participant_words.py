"""Each participant's transcript: the room's committed words handed to whoever spoke them.

The recogniser transcribes the room as one stream (the room's ``transcript`` messages on the main
stream). Once the diarizer has decided who speaks around a word, the word goes out again as a
committed ``transcript`` message of its speaker's participant stream; consecutive words of one person
go out together. A word waits while its speaker is undecided or has no stream yet; a word nobody is
heard speaking stays in the room's transcript only.
"""

from __future__ import annotations

from collections.abc import Sequence

from streammsa.asr.words import Word
from streammsa.monitor.meeting import WORD_REACH_S, Meeting
from streammsa.protocol import TranscriptEvent


class ParticipantWords:
    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self._next = 0  # committed words looked at so far
        self._held: list[Word] = []

    def take(self, words: Sequence[Word], done: bool = False) -> list[TranscriptEvent]:
        """Transcript messages for the words that can be given out now (``done``: the run is over)."""
        pending = self._held + list(words[self._next :])
        self._next = len(words)
        until = self.meeting.activity.final_until
        streams = self.meeting.directory.stream_of_voice()
        held: list[Word] = []
        runs: list[tuple[str, list[Word]]] = []
        for w in pending:
            if not done and 0.5 * (w.start + w.end) + WORD_REACH_S > until:
                held.append(w)
                continue
            voice = self.meeting.speaker_of(w)
            stream = streams.get(voice) if voice is not None else None
            if stream is None:
                if voice is not None and not done:
                    held.append(w)  # its voice gets a stream soon (directory.py: a voice waits for its face)
                continue
            if runs and runs[-1][0] == stream:
                runs[-1][1].append(w)
            else:
                runs.append((stream, [w]))
        self._held = held
        return [_event(stream, ws) for stream, ws in runs]


def _event(stream: str, words: list[Word]) -> TranscriptEvent:
    return TranscriptEvent(
        stream=stream,
        kind="committed",
        text=" ".join(w.w for w in words if w.w),
        t_start=words[0].start,
        t_end=words[-1].end,
        words=[{"w": w.w, "start": w.start, "end": w.end, "p": w.p} for w in words],
    )
