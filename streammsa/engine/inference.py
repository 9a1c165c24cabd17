"""The sentiment model, resident on the inference device, fed batches of ready windows.

Which model runs is a policy decision made once, here:
- ``--checkpoint PATH``: that trained checkpoint (its FeatureSpec drives the extractors);
- otherwise the default trained checkpoint ``models/<name>_monitor.pt`` when it exists (a file
  under its old name ``<name>_live.pt`` still loads);
- otherwise an untrained model ONLY when the user asked for it (``--untrained``): every
  reading then carries ``trained: false`` and the UI/report say the numbers are not sentiment;
- otherwise exit 2 with one line saying how to proceed.

torch is imported when an engine is made, not with this module: every command line imports ``EngineConfig``
to build its parser, and waiting ~1.5 s for torch there made ``--help``, ``report`` or a missing input file
that slow too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

from streammsa import log
from streammsa.errors import InputError, UsageError
from streammsa.features.spec import FeatureSpec
from streammsa.paths import models_dir

if TYPE_CHECKING:
    import torch

    from streammsa.models.io import ModelOutput, MSABatch

logger = log.get("engine.inference")

DeviceChoice = Literal["auto", "cpu", "cuda"]
CHECKPOINT_SUFFIXES = ("_monitor.pt", "_live.pt")  # the current name first, then the name before 0.2


@dataclass(frozen=True)
class EngineConfig:
    model: str = "cacr"  # registry name, used when no checkpoint is given ("cacr" or "dbr")
    checkpoint: Path | None = None
    untrained: bool = False
    device: DeviceChoice = "auto"
    max_batch: int = 32
    amp: Literal["auto", "off", "fp16", "bf16"] = "auto"
    seed: int = 0  # untrained weights are seeded so two untrained runs print the same numbers
    # torch's CPU threads and numpy's BLAS threads, process-wide (None: the libraries' defaults, one per core). One: a
    # window's forward pass is small, and on a busy 2-core machine two OpenMP threads made it 20-50x slower (0.5-2 s
    # instead of 20-40 ms, the first reading's included); numpy's matrix products in the feature stages are small too,
    # and OpenBLAS's second thread spun waiting for them (0.5 CPU-s of a 33-s --fast replay; measured, issue #12)
    cpu_threads: int | None = 1


def default_checkpoint_candidates(model: str) -> list[Path]:
    """Where the monitor's trained checkpoint is looked for, first match wins: ./models, then the shipped
    models; each under its current name, then its old one."""
    cands: list[Path] = []
    for d in (Path.cwd() / "models", models_dir()):
        for suffix in CHECKPOINT_SUFFIXES:
            if d / f"{model}{suffix}" not in cands:
                cands.append(d / f"{model}{suffix}")
    return cands


def resolve_checkpoint(cfg: EngineConfig) -> Path | None:
    """The checkpoint ``from_config`` loads: --checkpoint, else the default one; None = untrained (--untrained)."""
    ckpt = cfg.checkpoint
    if ckpt is None and not cfg.untrained:
        ckpt = next((c for c in default_checkpoint_candidates(cfg.model) if c.exists()), None)
        if ckpt is None:
            where = models_dir() / f"{cfg.model}{CHECKPOINT_SUFFIXES[0]}"
            raise UsageError(
                f"no trained checkpoint found ({where} does not exist); pass --checkpoint PATH "
                "(train one with `streammsa train`) or --untrained to run an untrained model whose numbers "
                "are not sentiment"
            )
    if ckpt is None:
        return None
    ckpt = Path(ckpt)
    if not ckpt.is_file():
        raise InputError(f"checkpoint {ckpt} does not exist; pass an existing file to --checkpoint")
    return ckpt


def _spec_from_meta(meta: dict[str, Any]) -> FeatureSpec:
    if isinstance(meta.get("spec"), FeatureSpec):
        return meta["spec"]
    for key in ("feature_spec", "spec"):
        if isinstance(meta.get(key), dict):
            return FeatureSpec.from_dict(meta[key])
    raise InputError(
        "checkpoint has no feature spec; retrain it with `streammsa train` (checkpoints store FeatureSpec.to_dict())"
    )


class InferenceEngine:
    """A model on a device; ``run`` takes an MSABatch of windows (any streams) and returns CPU outputs."""

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        name: str,
        trained: bool,
        spec: FeatureSpec,
        device: torch.device,
        amp: str = "auto",
        max_batch: int = 32,
        meta: dict[str, Any] | None = None,
    ) -> None:
        from streammsa.models.device import amp_dtype

        self.model = model.to(device).eval()
        self.name = name
        self.trained = trained
        self.spec = spec
        self.device = device
        self.amp_dtype = amp_dtype(device, amp)
        self.max_batch = max(1, int(max_batch))
        self.meta = meta or {}
        self.batches_run = 0
        self.windows_run = 0
        # set once a forward pass has run (the first reading's): loads that would compete with it wait for it
        self.first_run = threading.Event()

    @classmethod
    def from_config(cls, cfg: EngineConfig, default_spec: FeatureSpec | None = None) -> "InferenceEngine":
        import torch

        from streammsa.models.device import resolve_device

        device = resolve_device(cfg.device)
        if device.type == "cpu" and cfg.cpu_threads is not None:
            _set_cpu_threads(int(cfg.cpu_threads))
        ckpt = resolve_checkpoint(cfg)
        if ckpt is not None:
            from streammsa.models.checkpoint import load_model

            model, meta = load_model(ckpt, device)
            spec = _spec_from_meta(meta)
            name = str(meta.get("model_name") or cfg.model)
            logger.info("model: %s from %s on %s", name, ckpt, device)
            return cls(
                model,
                name=name,
                trained=True,
                spec=spec,
                device=device,
                amp=cfg.amp,
                max_batch=cfg.max_batch,
                meta=meta,
            )

        from streammsa.models.registry import build_model  # the package's import registers every model

        if default_spec is None:
            from streammsa.features.defaults import default_feature_spec

            default_spec = default_feature_spec()
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.model, default_spec.dims, None)  # unknown names raise UsageError with the choices
        logger.warning("model: UNTRAINED %s on %s (--untrained): readings are not sentiment", cfg.model, device)
        return cls(
            model, name=cfg.model, trained=False, spec=default_spec, device=device, amp=cfg.amp, max_batch=cfg.max_batch
        )

    def run(self, batch: MSABatch, count: bool = True) -> ModelOutput:
        """Forward in chunks of ``max_batch``; the output is on the CPU in float32.

        ``count=False``: an extra pass over windows already counted (e.g. a modality left out to measure
        its contribution), left out of ``batches_run`` / ``windows_run``."""
        import torch

        from streammsa.models.device import autocast

        n = batch.batch_size
        outs: list[ModelOutput] = []
        with torch.inference_mode(), autocast(self.device, self.amp_dtype):
            for s in range(0, n, self.max_batch):
                part = _take(batch, slice(s, s + self.max_batch)).to(self.device)
                outs.append(self.model(part).detach_cpu())
                self.batches_run += int(count)
        self.windows_run += n if count else 0
        self.first_run.set()
        return _cat(outs)


def _set_cpu_threads(n: int) -> None:
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(n, user_api="blas")  # numpy's OpenBLAS (torch's own BLAS follows torch's threads)
    if torch.get_num_threads() == n:
        return
    # torch's OpenMP runtime starts first, with its default threads: CTranslate2 (Whisper) shares it, and setting one
    # thread before the runtime had started made its decodes 5-40x slower (measured; tests/monitor checks it)
    torch.ones(1 << 18).add_(1)  # large enough to run in parallel
    torch.set_num_threads(n)


def _take(batch: MSABatch, idx: slice) -> MSABatch:
    from streammsa.models.io import MSABatch

    if idx.start == 0 and (idx.stop is None or idx.stop >= batch.batch_size):
        return batch
    return MSABatch(
        features={m: v[idx] for m, v in batch.features.items()},
        mask={m: v[idx] for m, v in batch.mask.items()},
        present=batch.present[idx],
        ids=batch.ids[idx],
    )


def _cat(outs: Sequence[ModelOutput]) -> ModelOutput:
    import torch

    from streammsa.models.io import ModelOutput

    if len(outs) == 1:
        return outs[0]

    def cat(name: str) -> torch.Tensor | None:
        return None if getattr(outs[0], name) is None else torch.cat([getattr(o, name) for o in outs])

    return ModelOutput(
        intensity=cat("intensity"),
        modality_intensity=cat("modality_intensity"),
        conflict=cat("conflict"),
        weight=cat("weight"),
        present=cat("present"),
        shared_intensity=cat("shared_intensity"),
    )
