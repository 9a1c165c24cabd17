"""Diarization as audio arrives: every frame's speakers are final after a bounded delay.

Every ``step_s`` of new audio the last 10 s are segmented; a frame's speaker count is final once
``latency_s`` of audio has followed it; solo pieces are cut (at most ``piece_max_s`` long) and each
voice print joins a running speaker centroid or founds a new speaker. Overlaps and short pieces wait
at most ``max_wait_s`` for the voice after them. So a frame is final at most about ``latency_s +
piece_max_s + max_wait_s`` after it was spoken (``final_until`` says how far it is now).

    d = OnlineDiarizer()
    d.insert_audio_chunk(samples, t)   # float32 mono 16 kHz on the stream clock
    d.process()                        # run what the new audio allows; returns final_until
    d.speaking(t0, t1)                 # {speaker: seconds} in [t0, t1), final part only
    d.finish()                         # end of input: everything final
"""

from __future__ import annotations

import math

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.speakers.clustering import OnlineClusters
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.counting import SpeakerCounter
from streammsa.speakers.embedding import SpeakerEmbedder
from streammsa.speakers.labelling import paint, voices
from streammsa.speakers.pieces import Piece, PieceCutter
from streammsa.speakers.segmentation import FRAME_STEP, FRAME_STEP_S, WINDOW_SAMPLES, SpeakerSegmenter
from streammsa.speakers.turns import Diarization, frame_at, frame_start, seconds_spoken, turns_from_activity
from streammsa.speakers.windows import frames_audio, window_at

KEEP_S = 24.0  # audio kept: a window (10 s) plus the longest a piece can wait to be embedded


class OnlineDiarizer:
    def __init__(
        self,
        config: DiarizationConfig | None = None,
        segmenter: SpeakerSegmenter | None = None,
        embedder: SpeakerEmbedder | None = None,
    ) -> None:
        cfg = self.config = config or DiarizationConfig()
        self.segmenter = segmenter or SpeakerSegmenter(threads=cfg.onnx_threads)
        self.embedder = embedder or SpeakerEmbedder()
        self.clusters = OnlineClusters(
            cfg.same_speaker_similarity,
            cfg.min_new_speaker_s,
            cfg.max_speakers,
            cfg.recluster_from,
            cfg.recluster_every,
            cfg.spectral_keep,
            merge_similarity=cfg.merge_similarity,
        )
        self._counter = SpeakerCounter()
        self._cutter = PieceCutter(cfg.piece_max_s)
        self._step = max(1, int(round(cfg.step_s / FRAME_STEP_S)))
        self._max_gap = int(round(cfg.max_wait_s / FRAME_STEP_S))
        # Window frame 0 on the stream's frame grid; the first window ends one step into the stream.
        self._next_first = math.ceil((self._step * FRAME_STEP - WINDOW_SAMPLES) / FRAME_STEP)
        self._audio = np.zeros(0, dtype=np.float32)
        self._audio_first = 0  # stream sample of self._audio[0]
        self._pieces: list[Piece] = []
        self._labels: list[int] = []
        self._resolved = 0  # pieces before this index are painted
        self._activity = np.zeros((0, cfg.max_speakers), dtype=bool)
        self.windows = 0

    # ---- input ----------------------------------------------------------------------------

    @property
    def audio_end(self) -> float:
        return (self._audio_first + len(self._audio)) / SAMPLE_RATE

    def insert_audio_chunk(self, samples: np.ndarray, t: float | None = None) -> None:
        """Append audio; ``t`` (stream time of its first sample) places it: a gap becomes silence."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        end = self._audio_first + len(self._audio)
        if t is not None:
            start = int(round(t * SAMPLE_RATE))
            if end == 0 and start > 0:  # a stream whose audio starts late: begin there
                self._audio_first = end = start
                self._next_first = max(self._next_first, start // FRAME_STEP - WINDOW_SAMPLES // FRAME_STEP)
            if start > end + FRAME_STEP:
                x = np.concatenate([np.zeros(start - end, np.float32), x])
            elif start < end:  # overlaps what we have: keep only the new part
                x = x[end - start :]
        self._audio = np.concatenate([self._audio, x])

    # ---- processing -----------------------------------------------------------------------

    def process(self) -> float:
        """Run every window the audio allows; returns ``final_until``."""
        audio_end = self._audio_first + len(self._audio)
        while self._next_first * FRAME_STEP + WINDOW_SAMPLES <= audio_end:
            self._window(self._next_first)
            self._next_first += self._step
            end_s = ((self._next_first - self._step) * FRAME_STEP + WINDOW_SAMPLES) / SAMPLE_RATE
            self._advance(frame_at(end_s - self.config.latency_s), flush=False)
        self._trim()
        return self.final_until

    def finish(self) -> float:
        """End of input: a last window up to the end of the audio, then everything final."""
        audio_end = self._audio_first + len(self._audio)
        last_end = (self._next_first - self._step) * FRAME_STEP + WINDOW_SAMPLES
        if last_end < audio_end:
            self._window(math.ceil((audio_end - WINDOW_SAMPLES) / FRAME_STEP))
        self._advance(max(frame_at(audio_end / SAMPLE_RATE), self._counter.base), flush=True)
        return self.final_until

    def _window(self, first: int) -> None:
        start = first * FRAME_STEP - self._audio_first
        activity = self.segmenter.segment(window_at(self._audio, start))[0]
        self._counter.add(first, activity)
        self.windows += 1

    def _advance(self, upto: int, flush: bool) -> None:
        counts = self._counter.finalise(upto)
        grown = self._counter.base - self._activity.shape[0]
        if grown > 0:
            self._activity = np.concatenate([self._activity, np.zeros((grown, self.config.max_speakers), bool)])
        for piece in self._cutter.push(counts) + (self._cutter.flush() if flush else []):
            self._pieces.append(piece)
            self._labels.append(self._identify(piece))
        self._resolve(flush)

    def _identify(self, piece: Piece) -> int:
        if piece.overlap or piece.seconds < self.config.min_embed_s:
            return -1
        speech = frames_audio(self._audio, piece.first, piece.stop, self._audio_first)
        return self.clusters.assign(self.embedder.embed(speech), piece.seconds)

    def _resolve(self, flush: bool) -> None:
        while self._resolved < len(self._pieces):
            i = self._resolved
            piece = self._pieces[i]
            later = any(lab >= 0 for lab in self._labels[i + 1 :])
            if (
                self._labels[i] < 0
                and not later
                and not flush
                and self._cutter.next_frame - piece.stop <= self._max_gap
            ):
                break  # the voice after it may still come
            paint(self._activity, 0, piece, voices(self._pieces, self._labels, i, self._max_gap) or ())
            self._resolved += 1

    def _trim(self) -> None:
        keep = int(KEEP_S * SAMPLE_RATE)
        if len(self._audio) > keep:
            cut = len(self._audio) - keep
            self._audio = self._audio[cut:]
            self._audio_first += cut

    # ---- results --------------------------------------------------------------------------

    @property
    def final_frame(self) -> int:
        """Frames before this one are final."""
        if self._resolved < len(self._pieces):
            return self._pieces[self._resolved].first
        open_first = self._cutter.open_first
        return self._counter.base if open_first is None else min(self._counter.base, open_first)

    @property
    def final_until(self) -> float:
        """Stream time up to which speakers are final."""
        return float(frame_start(self.final_frame))

    @property
    def num_speakers(self) -> int:
        return self.clusters.num_speakers

    def diarization(self) -> Diarization:
        """Everything final so far: activity per frame and turns."""
        act = self._activity[: self.final_frame, : max(self.num_speakers, 1)]
        return Diarization(act, 0, turns_from_activity(act, 0, self.config.merge_gap_s, self.config.min_turn_s))

    def final_activity(self, first: int = 0) -> np.ndarray:
        """Final speaker activity of frames ``first`` .. ``final_frame`` ((T, max_speakers) bool, a copy)."""
        return self._activity[first : max(first, self.final_frame)].copy()

    def speaking(self, t0: float, t1: float) -> dict[int, float]:
        """Seconds each speaker speaks in [t0, t1) (final frames only)."""
        return seconds_spoken(self._activity, t0, t1, self.final_frame)
