"""Evaluation of trained checkpoints beyond ``streammsa eval``: the monitor's checkpoints on the composed dataset,
on each modality alone, end to end through the monitor, and the documents made from those numbers.

* ``forward``: load a checkpoint on the CPU and run it over samples; the composed dataset's windows.
* ``scoring``: MMSA metrics, ROC AUC and JSON-safe numbers.
* ``composed`` / ``unimodal`` / ``replay``: the three result sets of ``scripts/eval_monitor.py``.
* ``model_card``: stores a checkpoint's evaluation in it and renders its card (``scripts/model_card.py``).
* ``results_page``: docs/monitor-results.md from the result files (``scripts/monitor_results_md.py``).
"""
