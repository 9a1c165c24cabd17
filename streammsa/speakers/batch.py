"""Diarization of a whole recording: count speakers, cut pieces, cluster all their voice prints at once."""

from __future__ import annotations

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.speakers.clustering import fold_small, merge_close, spectral
from streammsa.speakers.config import DiarizationConfig
from streammsa.speakers.counting import SpeakerCounter
from streammsa.speakers.embedding import SpeakerEmbedder
from streammsa.speakers.labelling import paint, voices
from streammsa.speakers.pieces import PieceCutter
from streammsa.speakers.segmentation import FRAME_STEP, FRAME_STEP_S, FRAMES_PER_WINDOW, SpeakerSegmenter
from streammsa.speakers.turns import Diarization, frame_at, turns_from_activity
from streammsa.speakers.windows import frames_audio, window_at

BATCH = 8  # windows per segmentation call


class BatchDiarizer:
    """``diarize(audio) -> Diarization`` of float32 mono 16 kHz audio starting at stream time 0."""

    def __init__(
        self,
        config: DiarizationConfig | None = None,
        segmenter: SpeakerSegmenter | None = None,
        embedder: SpeakerEmbedder | None = None,
    ) -> None:
        self.config = config or DiarizationConfig()
        self.segmenter = segmenter or SpeakerSegmenter(threads=self.config.onnx_threads)
        self.embedder = embedder or SpeakerEmbedder()

    def diarize(self, audio: np.ndarray, num_speakers: int | None = None) -> Diarization:
        cfg = self.config
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        n_frames = max(0, frame_at(len(audio) / SAMPLE_RATE))
        step = max(1, int(round(cfg.batch_step_s / FRAME_STEP_S)))
        starts = list(range(0, max(1, n_frames - FRAMES_PER_WINDOW + step), step))
        counter = SpeakerCounter()
        for i in range(0, len(starts), BATCH):
            chunk = starts[i : i + BATCH]
            activity = self.segmenter.segment(np.stack([window_at(audio, s * FRAME_STEP) for s in chunk]))
            for s, a in zip(chunk, activity):
                counter.add(s, a)
        cutter = PieceCutter(cfg.piece_max_s)
        pieces = cutter.push(counter.finalise(n_frames)) + cutter.flush()

        solo = [i for i, p in enumerate(pieces) if not p.overlap and p.seconds >= cfg.min_embed_s]
        labels = [-1] * len(pieces)
        if solo:
            embs = np.stack([self.embedder.embed(frames_audio(audio, pieces[i].first, pieces[i].stop)) for i in solo])
            secs = np.array([pieces[i].seconds for i in solo], np.float32)
            found = spectral(embs, cfg.spectral_keep, num_speakers, cfg.max_speakers)
            if not num_speakers:
                found = merge_close(embs, found, cfg.merge_similarity)
                found = fold_small(embs, found, secs, cfg.min_speaker_s)
            for i, lab in zip(solo, found):
                labels[i] = int(lab)
        n_speakers = max(labels, default=-1) + 1
        act = np.zeros((n_frames, max(n_speakers, 1)), dtype=bool)
        max_gap = int(round(cfg.max_wait_s / FRAME_STEP_S))
        for i, piece in enumerate(pieces):
            paint(act, 0, piece, voices(pieces, labels, i, max_gap) or ())
        turns = turns_from_activity(act, 0, cfg.merge_gap_s, cfg.min_turn_s)
        return Diarization(act, 0, turns)
