"""``streammsa batch``: many recorded files through the monitor, each worker loading the models once.

``inputs`` (which files, and the output folder name of each), ``processor`` (one file through a
worker's loaded ``Components``, its outputs returned as bytes), ``store`` (the output folder: what is
done, committing a file's outputs atomically, the summary CSV), ``backends`` (local worker processes
or a Ray cluster behind one interface), ``progress`` (the bar with ETA) and ``runner`` (``run_batch``).
"""

from __future__ import annotations

from streammsa.batch.results import FileResult
from streammsa.batch.runner import BatchConfig, BatchReport, run_batch

__all__ = ["BatchConfig", "BatchReport", "FileResult", "run_batch"]
