"""Training loop: AdamW + warm-up/plateau schedule (optim.py), early stopping on the validation split,
resumable, deterministic on CPU.

The best model (by the validation metric) is written as a full checkpoint at
``out``; the last epoch's full state (weights, optimizer, scaler, RNG, early-stopping
counters) goes to ``out + ".state"`` so ``--resume`` continues exactly where a run
stopped.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from streammsa import log
from streammsa.errors import InputError, UsageError
from streammsa.features.spec import FeatureSpec
from streammsa.models.checkpoint import ModelBuilder, config_dict, registry_builder, save_checkpoint
from streammsa.models.device import amp_dtype, autocast, resolve_device
from streammsa.training import metrics as mm
from streammsa.training.dataset import MSADataset, collate, load_split, normalised_spec
from streammsa.training.optim import OPTIMIZERS, SCHEDULES, LRSchedule, build_optimizer

logger = log.get("training")

STATE_SUFFIX = ".state"


@dataclass
class TrainOptions:
    """Everything `streammsa train` controls (stored in the checkpoint as train_args)."""

    model: str = "cacr"
    data: str = ""
    out: str = "models/model.pt"
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    device: str = "auto"
    epochs: int = 30
    batch_size: int = 16
    lr: float = 1e-4  # DLF's rate
    optimizer: str = "adamw"  # "adam": the trainer before issue #11 (L2 weight_decay, one parameter group)
    weight_decay: float = 0.01  # AdamW: decoupled, weight matrices only
    schedule: str = "plateau"  # "none", "plateau" (halve after plateau_patience epochs without progress), "cosine"
    warmup_epochs: float = 1.0  # linear learning-rate warm-up (0 = none)
    plateau_patience: int = 2
    attention_dropout: float | None = None  # None: the model's own dropout on attention weights too
    patience: int = 8
    metric: str = "MAE"
    metric_set: str = "mosi"
    grad_clip: float = 1.0
    resume: bool = False
    progress: bool = True
    amp: bool = True

    def validate(self) -> None:
        if self.epochs < 1:
            raise UsageError("--epochs must be at least 1")
        if self.batch_size < 1:
            raise UsageError("--batch-size must be at least 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise UsageError("--lr must be a positive number")
        if self.patience < 1:
            raise UsageError("--patience must be at least 1")
        if self.optimizer not in OPTIMIZERS:
            raise UsageError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise UsageError(f"--schedule must be one of {', '.join(SCHEDULES)}")
        if not (self.weight_decay >= 0 and self.warmup_epochs >= 0 and self.plateau_patience >= 1):
            raise UsageError("--weight-decay and --warmup-epochs must be >= 0, --plateau-patience >= 1")
        if self.attention_dropout is not None and not 0 <= self.attention_dropout < 1:
            raise UsageError("--attention-dropout must lie in [0, 1)")
        if self.metric_set not in mm.METRIC_SETS:
            raise UsageError(f"--metric-set must be one of {', '.join(sorted(mm.METRIC_SETS))}")
        keys = mm.SIMS_KEYS if self.metric_set == "sims" else mm.MOSI_KEYS
        if self.metric not in (*keys, "loss"):
            raise UsageError(
                f"--metric {self.metric!r} is not a {self.metric_set} metric; use one of {', '.join((*keys, 'loss'))}"
            )


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    valid_loss: float
    valid: dict[str, float]
    seconds: float


@dataclass
class TrainResult:
    checkpoint: Path
    best_epoch: int
    best_valid: dict[str, float]
    history: list[EpochRecord]
    stopped_early: bool


def set_attention_dropout(model: nn.Module, p: float) -> int:
    """Set the dropout on attention weights of every attention layer (training only: inference has none);
    returns how many layers it set."""
    layers = [m for m in model.modules() if isinstance(m, nn.MultiheadAttention)]
    for m in layers:
        m.dropout = float(p)
    return len(layers)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [
            np_state[0],
            torch.from_numpy(np_state[1].astype(np.int64)),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4]),
        ],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device: torch.device, amp: bool = False) -> dict[str, Any]:
    """Run the model over a loader: intensities, labels, ids, mean loss and the per-batch outputs' extras."""
    model.eval()
    dtype = amp_dtype(device, "auto" if amp else "off")
    preds, labels, ids, losses, sizes = [], [], [], [], []
    conflict, weight, modality = [], [], []
    for batch in loader:
        batch = batch.to(device)
        with autocast(device, dtype):
            out = model(batch)
            loss, _ = model.compute_loss(batch, out)
        o = out.detach_cpu()
        preds.append(o.intensity)
        conflict.append(o.conflict)
        weight.append(o.weight)
        modality.append(o.modality_intensity)
        labels.append(batch.labels.detach().float().cpu())
        ids.extend(batch.ids)
        losses.append(float(loss.detach()))
        sizes.append(batch.batch_size)
    return {
        "pred": torch.cat(preds).numpy(),
        "label": torch.cat(labels).numpy(),
        "ids": ids,
        "loss": float(np.average(losses, weights=sizes)) if losses else float("nan"),
        "conflict": torch.cat(conflict).numpy(),
        "weight": torch.cat(weight).numpy(),
        "modality_intensity": torch.cat(modality).numpy(),
    }


def evaluate(
    model: nn.Module, dataset: MSADataset, device: torch.device, metric_set: str = "mosi", batch_size: int = 64
) -> tuple[dict[str, float], dict[str, Any]]:
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)
    res = predict(model, loader, device)
    scores = mm.compute(res["pred"], res["label"], metric_set)
    scores["loss"] = res["loss"]
    return scores, res


class Trainer:
    """One training run of one model on one train/valid pair."""

    def __init__(
        self,
        model: nn.Module,
        train: MSADataset,
        valid: MSADataset,
        options: TrainOptions,
        spec: FeatureSpec,
        extra: dict[str, Any] | None = None,
    ) -> None:
        options.validate()
        self.opt = options
        self.device = resolve_device(options.device)
        self.model = model.to(self.device)
        if options.attention_dropout is not None:
            set_attention_dropout(self.model, options.attention_dropout)
        self.train_ds, self.valid_ds = train, valid
        self.spec = spec
        self.extra = dict(extra or {})
        self.out = Path(options.out)
        self.state_path = self.out.with_name(self.out.name + STATE_SUFFIX)
        self.optimizer = build_optimizer(self.model, options.optimizer, options.lr, options.weight_decay)
        self.amp_dtype = amp_dtype(self.device, "auto" if options.amp else "off")
        self.amp = self.amp_dtype is not None
        # fp16 needs loss scaling; bf16 (preferred where supported) does not.
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.generator = torch.Generator().manual_seed(options.seed)
        self.train_loader = DataLoader(
            train,
            batch_size=options.batch_size,
            shuffle=True,
            collate_fn=collate,
            generator=self.generator,
            drop_last=False,
        )
        self.valid_loader = DataLoader(valid, batch_size=max(64, options.batch_size), shuffle=False, collate_fn=collate)
        self.schedule = LRSchedule(
            options.schedule,
            options.lr,
            len(self.train_loader),
            options.epochs,
            options.warmup_epochs,
            options.plateau_patience,
        )
        self.epoch = 0
        self.best_value: float | None = None
        self.best_epoch = 0
        self.best_valid: dict[str, float] = {}
        self.bad_epochs = 0
        self.history: list[EpochRecord] = []

    # ---- state -----------------------------------------------------------------
    def _train_args(self) -> dict[str, Any]:
        return dataclasses.asdict(self.opt)

    def save_state(self) -> None:
        state = {
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": _rng_state(),
            "generator": self.generator.get_state(),
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "best_valid": self.best_valid,
            "bad_epochs": self.bad_epochs,
            "history": [dataclasses.asdict(h) for h in self.history],
            "train_args": self._train_args(),
            "spec": self.spec.to_dict(),
        }
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(state, tmp)
        tmp.replace(self.state_path)

    def load_state(self) -> None:
        if not self.state_path.is_file():
            raise InputError(f"--resume: no saved state at {self.state_path}; start without --resume")
        try:
            state = torch.load(self.state_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001
            raise InputError(
                f"--resume: {self.state_path} is unreadable ({type(exc).__name__}); start without --resume"
            ) from None
        # a state saved before optimizer/schedule existed ran plain Adam without a schedule
        prev = {"optimizer": "adam", "schedule": "none", **state.get("train_args", {})}
        for key in ("model", "overrides", "metric", "metric_set", "optimizer", "schedule"):
            if prev.get(key) != getattr(self.opt, key):
                raise UsageError(
                    f"--resume: the saved run used {key}={prev.get(key)!r}, this one {getattr(self.opt, key)!r}; "
                    "use the same settings or a new --out"
                )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if "schedule" in state:
            self.schedule.load_state_dict(state["schedule"])
        self.scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rng"])
        self.generator.set_state(state["generator"])
        self.epoch = int(state["epoch"])
        self.best_value = state["best_value"]
        self.best_epoch = int(state["best_epoch"])
        self.best_valid = dict(state["best_valid"])
        self.bad_epochs = int(state["bad_epochs"])
        self.history = [EpochRecord(**h) for h in state["history"]]
        logger.info(
            "resumed %s at epoch %d (best %s %.4f at epoch %d)",
            self.state_path,
            self.epoch,
            self.opt.metric,
            self.best_value or float("nan"),
            self.best_epoch,
        )

    # ---- loop ------------------------------------------------------------------
    def _train_epoch(self) -> float:
        from tqdm import tqdm

        self.model.train()
        total, count = 0.0, 0
        bar = tqdm(
            self.train_loader,
            desc=f"epoch {self.epoch + 1}/{self.opt.epochs}",
            leave=False,
            disable=not self.opt.progress,
            unit="batch",
        )
        for batch in bar:
            batch = batch.to(self.device)
            self.optimizer.zero_grad(set_to_none=True)
            with autocast(self.device, self.amp_dtype):
                out = self.model(batch)
                loss, _parts = self.model.compute_loss(batch, out)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"training loss became {float(loss.detach())} at epoch {self.epoch + 1}; lower --lr"
                )
            self.scaler.scale(loss).backward()
            if self.opt.grad_clip > 0:
                self.scaler.unscale_(self.optimizer)
                nn.utils.clip_grad_norm_(self.model.parameters(), self.opt.grad_clip)
            self.schedule.apply(self.optimizer)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.schedule.advance()
            total += float(loss.detach()) * batch.batch_size
            count += batch.batch_size
            bar.set_postfix(loss=f"{total / count:.4f}")
        return total / max(count, 1)

    def validate(self) -> tuple[float, dict[str, float]]:
        res = predict(self.model, self.valid_loader, self.device, self.amp)
        scores = mm.compute(res["pred"], res["label"], self.opt.metric_set)
        return res["loss"], scores

    def fit(self, on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainResult:
        if self.opt.resume:
            self.load_state()
        stopped_early = False
        while self.epoch < self.opt.epochs:
            if self.bad_epochs >= self.opt.patience:
                stopped_early = True
                break
            t0 = time.perf_counter()
            train_loss = self._train_epoch()
            valid_loss, scores = self.validate()
            self.epoch += 1
            rec = EpochRecord(self.epoch, train_loss, valid_loss, scores, time.perf_counter() - t0)
            self.history.append(rec)
            value = valid_loss if self.opt.metric == "loss" else scores[self.opt.metric]
            improved = mm.is_better(self.opt.metric, value, self.best_value)
            self.schedule.end_epoch(improved)
            if improved:
                self.best_value, self.best_epoch, self.bad_epochs = value, self.epoch, 0
                self.best_valid = {**scores, "loss": valid_loss}
                save_checkpoint(
                    self.out,
                    self.model,
                    self.spec,
                    metrics={
                        "valid": self.best_valid,
                        "best_epoch": self.best_epoch,
                        "selection_metric": self.opt.metric,
                    },
                    train_args=self._train_args(),
                    extra=self.extra,
                )
            else:
                self.bad_epochs += 1
            logger.info(
                "epoch %d: train loss %.4f, valid loss %.4f, valid %s %.4f%s",
                self.epoch,
                train_loss,
                valid_loss,
                self.opt.metric,
                value,
                " (best)" if self.best_epoch == self.epoch else "",
            )
            self.save_state()
            if on_epoch is not None:
                on_epoch(rec)
        if self.bad_epochs >= self.opt.patience and self.epoch < self.opt.epochs:
            stopped_early = True
        if self.best_epoch == 0:
            raise FloatingPointError("no epoch produced a finite validation score; check the data and --lr")
        return TrainResult(self.out, self.best_epoch, self.best_valid, self.history, stopped_early)


def prepare_data(data: str, spec: FeatureSpec | None = None) -> tuple[MSADataset, MSADataset, FeatureSpec]:
    """Train/valid splits with train-split normalisation statistics in the spec."""
    train = load_split(data, "train")
    valid = load_split(data, "valid")
    if len(train) == 0 or len(valid) == 0:
        raise InputError(
            f"{data}: the train and valid splits must both hold samples (have {len(train)} / {len(valid)})"
        )
    spec = spec or normalised_spec(train)
    return train.with_spec(spec), valid.with_spec(spec), spec


def train_model(
    options: TrainOptions, builder: ModelBuilder | None = None, extra: dict[str, Any] | None = None
) -> TrainResult:
    """Build the model by name, train it on ``options.data`` and write the checkpoint."""
    options.validate()
    device = resolve_device(options.device)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    if device.type == "cpu":
        # Bit-identical reruns for a seed on CPU; warn_only keeps ops without a deterministic kernel usable.
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return _train(options, builder, extra)
    finally:  # a process-wide switch: leave it as the caller had it
        torch.use_deterministic_algorithms(was_deterministic, warn_only=was_warn_only)


def _train(options: TrainOptions, builder: ModelBuilder | None, extra: dict[str, Any] | None) -> TrainResult:
    seed_everything(options.seed)
    train, valid, spec = prepare_data(options.data)
    build = builder or registry_builder
    try:
        model = build(options.model, spec.dims, dict(options.overrides))
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"cannot build model {options.model!r} with these settings: {exc}") from None
    extra = {"data": {"source": str(options.data), "train_size": len(train), "valid_size": len(valid)}, **(extra or {})}
    trainer = Trainer(model, train, valid, options, spec, extra=extra)
    config = config_dict(model.config) if hasattr(model, "config") else {}
    logger.info(
        "training %s (%s) on %s: %d train / %d valid samples, device %s",
        options.model,
        config,
        options.data,
        len(train),
        len(valid),
        trainer.device,
    )
    return trainer.fit()
