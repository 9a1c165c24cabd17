"""Typed settings of the diarizers (batch and online share the models and most thresholds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiarizationConfig:
    # Segmentation windows (10 s): online one every step_s of new audio; a whole file one every batch_step_s.
    step_s: float = 1.0
    batch_step_s: float = 2.5
    # Solo pieces are cut at this length, so a change of speaker without a pause costs one mixed piece at most.
    piece_max_s: float = 2.0
    # A piece needs this much speech for a voice print; shorter ones take their neighbour's voice.
    min_embed_s: float = 0.5
    # Cosine similarity at or above which voice prints (or clusters of them) are one speaker (CAM++, dev meetings).
    same_speaker_similarity: float = 0.55
    # Online: a new speaker needs a piece at least this long (a short burst never makes a new person).
    min_new_speaker_s: float = 1.0
    # Online: speaker counts are final once this much audio has arrived after a frame (the segmentation's delay);
    # an overlap or a short piece waits at most max_wait_s more for the voice that follows it.
    latency_s: float = 2.5
    max_wait_s: float = 2.0
    # Online: from this many voice prints on, every recluster_every new ones all prints are clustered again.
    recluster_from: int = 10
    recluster_every: int = 2
    max_speakers: int = 8
    # Batch: spectral clustering keeps this share of each voice print's most similar neighbours.
    spectral_keep: float = 0.2
    # Clusters whose prints are this alike on average are one speaker (the eigengap over-counts on short meetings).
    merge_similarity: float = 0.5
    # Batch: a cluster with less speech than this joins its nearest cluster (a spurious voice).
    min_speaker_s: float = 1.5
    # Turns: gaps shorter than merge_gap_s inside one speaker's speech are bridged; shorter turns dropped.
    merge_gap_s: float = 0.3
    min_turn_s: float = 0.2
    onnx_threads: int = 1
