"""Accuracy benchmarks that train models on public corpora (docs/results.md): RAVDESS tri-modal, MOSI/MOSEI text.

``scripts/bench_ravdess.py`` and ``scripts/bench_mosi_text.py`` are their command lines.
"""
