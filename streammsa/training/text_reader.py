"""Fine-tuning the text reader (models/text_reader.py) on the MOSI + MOSEI transcripts.

The bottom layers are frozen, so their states are computed once per transcript and reused by every
epoch, learning rate and seed (``BottomStates``); only the top layers and the head train. The step
kept is the one with the lowest validation MAE (MOSI + MOSEI validation videos together), checked
every ``eval_every`` steps; the test videos are scored once, for the record, never chosen on.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from streammsa.datasets.items import PoolItem, list_items
from streammsa.models.text_reader import TextReader

CORPORA = ("mosi", "mosei")


@dataclass(frozen=True)
class ReaderTrainConfig:
    top_layers: int = 2
    lr: float = 5e-5  # the fine-tuned layers (one-cycle schedule, 10 % warm-up)
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    epochs: int = 3
    batch_size: int = 32
    eval_every: int = 275  # steps (about half an epoch of MOSI + MOSEI train)
    seed: int = 0


@dataclass
class BottomStates:
    """The frozen layers' output for each transcript, with its labels and where it belongs."""

    h: torch.Tensor  # (N, T, hidden) float16
    mask: torch.Tensor  # (N, T)
    label: np.ndarray  # (N,) intensity in [-3, 3]
    split: np.ndarray  # (N,) train / valid / test (the corpus' own, by video)
    corpus: np.ndarray  # (N,)

    def select(self, split: str, corpus: str | None = None) -> np.ndarray:
        keep = self.split == split
        if corpus is not None:
            keep &= self.corpus == corpus
        return np.flatnonzero(keep)


@dataclass
class TrainedReader:
    config: ReaderTrainConfig
    best_step: int
    steps: int
    valid_mae: float
    history: list[dict[str, Any]] = field(default_factory=list)
    test: dict[str, dict[str, float]] = field(default_factory=dict)


def transcripts(data: Path, corpora: Sequence[str] = CORPORA) -> list[PoolItem]:
    return list_items(data, corpora, ["text"])


def bottom_states(reader: TextReader, items: Sequence[PoolItem], batch_size: int = 64) -> BottomStates:
    hs, masks = [], []
    width = reader.max_tokens
    for a in range(0, len(items), batch_size):
        ids, mask = reader.tokenize([it.text for it in items[a : a + batch_size]])
        pad = width - ids.shape[1]  # one width for all, so batches can mix transcripts
        ids = torch.nn.functional.pad(ids, (0, pad))
        mask = torch.nn.functional.pad(mask, (0, pad))
        hs.append(reader.bottom(ids, mask).to(torch.float16))
        masks.append(mask)
    return BottomStates(
        h=torch.cat(hs),
        mask=torch.cat(masks),
        label=np.array([it.label for it in items], dtype=np.float32),
        split=np.array([it.split for it in items]),
        corpus=np.array([it.corpus for it in items]),
    )


@torch.no_grad()
def predict(reader: TextReader, states: BottomStates, idx: np.ndarray, batch_size: int = 256) -> np.ndarray:
    was = reader.training
    reader.eval()
    out = [
        reader(states.h[idx[a : a + batch_size]].float(), states.mask[idx[a : a + batch_size]]).numpy()
        for a in range(0, len(idx), batch_size)
    ]
    reader.train(was)
    return np.concatenate(out) if out else np.zeros(0)


def scores(pred: np.ndarray, label: np.ndarray) -> dict[str, float]:
    """MAE, Pearson r and the MMSA accuracies: Acc2 (Non0) drops items labelled exactly 0."""
    nz = label != 0
    return {
        "n": int(len(label)),
        "mae": round(float(np.abs(pred - label).mean()), 4),
        "corr": round(float(np.corrcoef(pred, label)[0, 1]), 4),
        "acc2_non0": round(float(((pred[nz] > 0) == (label[nz] > 0)).mean()), 4),
        "acc2_has0": round(float(((pred >= 0) == (label >= 0)).mean()), 4),
    }


def train_reader(
    reader: TextReader,
    states: BottomStates,
    cfg: ReaderTrainConfig,
    log: Callable[[str], None] = print,
) -> TrainedReader:
    """Fine-tune ``reader`` in place; it ends holding the weights of its best validation step."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train, valid = states.select("train"), states.select("valid")
    opt = torch.optim.AdamW(
        [{"params": reader.top.parameters(), "lr": cfg.lr}, {"params": reader.head.parameters(), "lr": cfg.head_lr}],
        weight_decay=cfg.weight_decay,
    )
    per_epoch = len(train) // cfg.batch_size
    total = max(1, cfg.epochs * per_epoch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[cfg.lr, cfg.head_lr], total_steps=total, pct_start=0.1)
    label = torch.from_numpy(states.label)
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    history: list[dict[str, Any]] = []
    step, t0 = 0, time.perf_counter()
    reader.train()
    for _ in range(cfg.epochs):
        order = rng.permutation(train)
        for a in range(0, per_epoch * cfg.batch_size, cfg.batch_size):
            idx = order[a : a + cfg.batch_size]
            loss = (reader(states.h[idx].float(), states.mask[idx]) - label[idx]).abs().mean()  # L1, as MMSA trains
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % cfg.eval_every == 0 or step == total:
                mae = float(np.abs(predict(reader, states, valid) - states.label[valid]).mean())
                history.append({"step": step, "valid_mae": round(mae, 4), "s": round(time.perf_counter() - t0, 1)})
                log(f"  step {step}/{total}: valid MAE {mae:.4f} ({time.perf_counter() - t0:.0f} s)")
                if best is None or mae < best[0]:
                    best = (mae, step, copy.deepcopy(reader.state_dict()))
    assert best is not None
    reader.load_state_dict(best[2])
    reader.eval()
    result = TrainedReader(cfg, best_step=best[1], steps=total, valid_mae=round(best[0], 4), history=history)
    for c in CORPORA:
        idx = states.select("test", c)
        if len(idx):
            result.test[c] = scores(predict(reader, states, idx), states.label[idx])
    return result


def record(result: TrainedReader) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "best_step": result.best_step,
        "steps": result.steps,
        "valid_mae": result.valid_mae,
        "history": result.history,
        "test": result.test,
    }
