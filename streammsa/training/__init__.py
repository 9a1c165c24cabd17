"""Training and evaluating sentiment models on feature data (the composed dataset is built by ``streammsa.datasets``).

* ``dataset`` (+ ``feature_data``, ``mmsa_data``): MMSA pickles and project feature directories -> ``MSABatch``.
* ``trainer``: Adam, early stopping, resumable, deterministic on CPU (``streammsa train``).
* ``metrics``: the MMSA metrics; ``probe``: a linear emotion probe on a trained model's representation.
* ``evaluation``: the monitor checkpoints' evaluation, model cards and results page.
* ``benchmarks``: the RAVDESS and MOSI/MOSEI accuracy benchmarks (docs/results.md).

Checkpoints are read and written by ``streammsa.models.checkpoint``.
"""
