"""Per-modality feature extractors (text, audio, vision), their caches and the shared FeatureSpec."""
