"""streammsa.engine: from cached features to readings.

- ``windowing``: windows on the stream clock, readiness from per-modality watermarks,
  slicing the caches into an ``MSABatch`` (absent modalities masked, never zeros);
- ``inference``: the model (checkpoint, or ``--untrained`` on request) on CPU/CUDA, batched;
- ``readings``: ``ModelOutput`` -> ``protocol.Reading``; ``clock``: stream -> wall time for latency;
- ``alerts``: conflict and sustained-negative alerts with hysteresis and cooldown;
- ``workers``: the per-modality feature threads between capture and the caches.
"""
