"""streammsa.engine: from cached features to the messages a person reads.

- ``windowing``: windows on the stream clock, readiness from per-modality watermarks,
  slicing the caches into an ``MSABatch`` (absent modalities masked, never zeros);
- ``inference``: the model (checkpoint, or ``--untrained`` on request) on CPU/CUDA, batched;
- ``readings``: ``ModelOutput`` -> ``protocol.Reading``; ``transcripts``: recogniser steps ->
  ``protocol.TranscriptEvent``;
- ``alerts``: conflict and sustained-negative alerts with hysteresis and cooldown;
  ``alert_calibration``: their thresholds fitted on held-out data.
"""
