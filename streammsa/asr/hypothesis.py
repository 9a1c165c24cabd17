"""``HypothesisBuffer``: the LocalAgreement-2 commit policy for streaming Whisper.

Each ``insert(words, offset)`` brings a new hypothesis for the current audio buffer
(times relative to the buffer, shifted by ``offset`` onto the stream clock). Only words
that start after the last committed time (minus ``tolerance_s``) are considered; if the
new hypothesis begins by repeating the last 1..``max_ngram`` committed words (Whisper
re-hears the tail of the buffer), that repeat is dropped. ``flush()`` then commits the
longest common prefix of the previous and the new hypothesis: a word is final once two
consecutive hypotheses agree on it. Words are compared case- and punctuation-blind; the
newer spelling is kept.
"""

from __future__ import annotations

from streammsa.asr.words import TimedWord


class HypothesisBuffer:
    def __init__(self, tolerance_s: float = 0.1, max_ngram: int = 5, repeat_window_s: float = 1.0) -> None:
        self.tolerance_s = tolerance_s
        self.max_ngram = max_ngram
        self.repeat_window_s = repeat_window_s
        self.committed_in_buffer: list[TimedWord] = []  # committed words still inside the audio buffer
        self.previous: list[TimedWord] = []  # the uncommitted tail of the previous hypothesis
        self.new: list[TimedWord] = []
        self.last_committed_time = 0.0
        self.last_committed_key: str | None = None

    def insert(self, words: list[TimedWord], offset: float = 0.0) -> None:
        shifted = [w.shifted(offset) for w in words]
        self.new = [w for w in shifted if w.start > self.last_committed_time - self.tolerance_s]
        if (
            self.new
            and self.committed_in_buffer
            and abs(self.new[0].start - self.last_committed_time) < self.repeat_window_s
        ):
            # Drop the longest n-gram at the head of `new` that repeats the committed tail.
            limit = min(len(self.committed_in_buffer), len(self.new), self.max_ngram)
            for n in range(limit, 0, -1):
                tail = [w.key for w in self.committed_in_buffer[-n:]]
                head = [w.key for w in self.new[:n]]
                if tail == head:
                    del self.new[:n]
                    break

    def flush(self) -> list[TimedWord]:
        """Commit the agreed prefix of the previous and new hypotheses; keep the rest pending."""
        commit: list[TimedWord] = []
        for old, new in zip(self.previous, self.new):
            if old.key != new.key:
                break
            commit.append(new)
        self.previous = self.new[len(commit) :]
        self.new = []
        if commit:
            self.last_committed_time = commit[-1].end
            self.last_committed_key = commit[-1].key
            self.committed_in_buffer.extend(commit)
        return commit

    def pop_committed(self, t: float) -> None:
        """Forget committed words that end at or before ``t`` (the audio buffer was trimmed there)."""
        self.committed_in_buffer = [w for w in self.committed_in_buffer if w.end > t]

    def complete(self) -> list[TimedWord]:
        """The pending (not yet agreed) words: the partial transcript."""
        return list(self.previous)
