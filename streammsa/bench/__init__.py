"""Benchmarks behind ``streammsa bench``: speed and memory figures, measured, never asserted in unit tests."""
