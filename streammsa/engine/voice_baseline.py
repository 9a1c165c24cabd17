"""A voice read relative to its own speaker's baseline.

The voice readers learned from acted emotional speech of a few corpora; an unfamiliar or synthetic
voice is outside what they know (the fusion model's voice head read such voices confidently negative,
docs/live-results.md). A person's voice says something about their sentiment when it *moves* from how
that person usually sounds, so each stream keeps a running baseline of its speaker's voice:

- the voice reading shown is the voice reader's reading (``models/voice_reader.py``; with
  ``--voice-reader head`` the model's voice head) minus the speaker's running mean;
- the voice's contribution to the overall reading (what it adds to the model's fused reading,
  ``engine/confidence_fusion.py``) is likewise taken relative to its running mean;
- the model's voice head, which the conflict signal's polarity calibration reads beside the voice reader's
  reading (``engine/polarity_calibration.py``), is likewise taken relative to its running mean;
- the voice's confidence grows with how much of this speaker has been heard (``familiarity``):
  an unfamiliar voice can never dominate the overall reading;
- and it is scaled by how like the voice reader's training voices this speaker sounds (``typicality``: the mean
  of the reader's typicality over the speaker's windows, ``models/typicality.py``). A property of the speaker's
  sound (language, microphone, room), not of one window: strongly emotional windows sound a little less typical
  than neutral ones (held-out speakers: sadness 0.72, neutral 0.97), so a per-window typicality would count
  exactly the emotional windows less.

The baseline is updated once per window (first emission), in window order, so a replay at any
speed and a live run give the same readings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BaselineConfig:
    familiar_windows: float = 8.0  # windows with speech after which the voice counts half (about 8 s)


class VoiceBaseline:
    def __init__(self, config: BaselineConfig | None = None) -> None:
        self.config = config or BaselineConfig()
        self.windows = 0.0  # evidence-weighted count of windows with a voice
        self._reading_sum = 0.0
        self._contribution_sum = 0.0
        self._head_sum = 0.0
        self._typical_sum = 0.0

    def familiarity(self) -> float:
        """0 for a voice never heard, 0.5 after ``familiar_windows`` windows of speech, towards 1 after."""
        return self.windows / (self.windows + self.config.familiar_windows)

    def typicality(self) -> float:
        """How like the voice reader's training voices this speaker has sounded so far (1 before any speech)."""
        return self._typical_sum / self.windows if self.windows > 0 else 1.0

    def reading_offset(self) -> float:
        """The speaker's mean voice reading so far (0 before any speech)."""
        return self._reading_sum / self.windows if self.windows > 0 else 0.0

    def head_offset(self) -> float:
        """The speaker's mean reading by the model's voice head so far."""
        return self._head_sum / self.windows if self.windows > 0 else 0.0

    def contribution_offset(self) -> float:
        """The voice's mean contribution to the overall reading so far."""
        return self._contribution_sum / self.windows if self.windows > 0 else 0.0

    def update(
        self, reading: float, contribution: float, evidence: float, head: float | None = None, typical: float = 1.0
    ) -> None:
        """One more window of this speaker's voice (``evidence`` in [0, 1]: how much speech it held; ``head``: the
        model's voice head on it, default the reading; ``typical``: the voice reader's typicality of it)."""
        if evidence <= 0.0:
            return
        self.windows += evidence
        self._reading_sum += evidence * reading
        self._contribution_sum += evidence * contribution
        self._head_sum += evidence * (reading if head is None else head)
        self._typical_sum += evidence * typical
