"""Speaker diarization: who spoke when, offline (no downloads), online or on a whole file.

- ``segmentation``: pyannote segmentation-3.0 (ONNX) finds up to 3 local speakers per 10-s window;
- ``embedding``: CAM++ (``campplus``) turns a speaker's clean speech into a 192-d voice print;
- ``clustering``: voice prints -> global speakers (agglomerative for a file, centroids online);
- ``aggregation``: overlapping windows -> one speaker activity per frame;
- ``batch`` (``diarize``: a whole file) and ``online`` (``OnlineDiarizer``: speech as it arrives,
  each frame final after a bounded delay) share all of the above; ``turns`` holds the result types.
"""
