"""Per-modality feature extractors (text, audio, vision), their caches and the shared FeatureSpec.

Modules (import them directly; this package imports nothing heavy on its own):

- ``spec``: ``FeatureSpec`` / ``ModalitySpec``, the contract stored in every checkpoint.
- ``timed``: ``TimedFeatures(times (N,), values (N, dim))`` on the stream clock.
- ``text``: ``TextEncoder`` - all-MiniLM-L6-v2 token states (384-d, no [CLS]/[SEP]);
  ``encode(text)``, ``encode_batch(texts)``, ``encode_words(words)`` (tokens at word midpoints).
- ``audio``: ``AudioFeatureExtractor`` - 40 log-mel + log energy + ZCR + voicing + log F0
  (44-d, 25 Hz); ``extract(samples)`` for clips, ``stream(t0).push/flush`` live (identical
  frames); ``decode_audio_file(path)`` -> 16 kHz mono float32.
- ``vision``: ``FaceFeatureExtractor`` - 52 blendshapes + yaw/pitch/roll + 7 FER
  probabilities (62-d, default 10 fps); ``due(t)`` rate gate, ``process(rgb, t)`` for video,
  ``process_image(img)`` for photos; None = no face (vision absent).
- ``cache``: ``FeatureCache`` (per-step features, sliced per window, horizon eviction) and
  ``TextSegmentCache`` (committed ASR segments by id, encoded once).
- ``defaults``: ``default_feature_spec()`` and ``extractors_from_spec(spec)``.

Typical live wiring (one cache per modality; each result is computed once, windows only slice)::

    spec = default_feature_spec()                    # or FeatureSpec.from_dict(ckpt["feature_spec"])
    text_enc, audio_ex, face_ex = extractors_from_spec(spec)
    audio_cache = FeatureCache(spec.audio.dim, horizon_s=30)
    face_cache = FeatureCache(spec.vision.dim, horizon_s=30)
    tokens = TextSegmentCache(text_enc, spec.text.dim, horizon_s=30)
    stream = audio_ex.stream(t0=first_sample_time)
    audio_cache.extend(stream.push(chunk))           # audio worker, per chunk
    if face_ex.due(t):                               # video worker, per frame
        v = face_ex.process(rgb, t)
        if v is not None:                            # None: no face -> nothing cached
            face_cache.append(t, v)
    tokens.commit(segment_id, words)                 # ASR worker, per committed segment
    audio_cache.slice(t1 - spec.window_s, t1)        # engine, per window -> (times, values)

An empty slice means the modality is absent in that window (mask it); normalise with
``spec[m].normalise(values)`` before the model.
"""
