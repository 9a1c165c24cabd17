"""streammsa.models: CACR, DBR and baselines behind one registry.

``build_model(name, dims, config)`` builds any of ``available()``; every model maps an
``MSABatch`` to a ``ModelOutput`` with ``forward(batch, with_losses=None)`` (aux losses are
computed in training mode, or when ``with_losses=True``) and has
``compute_loss(batch, out) -> (total, {part: float})``. Intensities are unbounded L1
regressions (as in DLF/MMSA); consumers clamp to [-3, 3]. For batch-1 CPU inference use one
torch thread (``torch.set_num_threads(1)``): on a busy 2-core machine two OpenMP threads
make these small models one to two orders of magnitude slower.
"""

from streammsa.models import baselines, cacr, dbr  # noqa: F401  (import registers the models)
from streammsa.models.io import ModelOutput, MSABatch
from streammsa.models.registry import MODELS, available, build_model, config_from_record, make_config, register

__all__ = [
    "MODELS",
    "MSABatch",
    "ModelOutput",
    "available",
    "build_model",
    "config_from_record",
    "make_config",
    "register",
]
