"""The top of the Whisper encoder tuned for the voice reading (the shipped voice reader's first step, issue #11).

The encoder's frozen layers, read by a ridge, rank held-out speakers' voices at 0.932 ROC AUC (docs/results.md,
"Session 23"); naming the odd modality needs the voice near 0.97. So the encoder's top blocks are trained on the
voice reader's training speakers, on the monitor's own windows:

    x_0..x_K = stem and blocks 1..K, frozen: read once per step as the monitor reads a stream (4 s of context)
    x_l = Block_l(x_{l-1}), l = K+1..4; x_4 <- LN(x_4)      trainable, run over each step's whole 4-s stretch
    v = [mean_t x_{0..4} ; std_t x_{0..4}]                   over the window's speech states (the reader's v)
    y = w . LN(v_top) + b                                    a training head over the trainable layers' part of v
    L = sum_i c_i (y_i - label_i)^2 / sum_i c_i              c: label confidence, the three sides balanced

Learning rate and epoch are chosen on the validation speakers' MAE (AdamW, weight decay 0.01, at most
``TuneConfig.epochs``, stop after ``patience`` epochs without a gain); the head is then dropped and the voice reader's
own fit is made over v (``ridge_reader``: strength on validation, fitted on the training speakers, so the monitor's
own fits on the validation speakers read their voices out of sample; test speakers scored once). The reader
carries the tuned blocks (``tuned_part``) and reads its states through them
(``models/voice_reader.VoiceReader.states``). ``scripts/train_voice_reader.py`` ships it;
``scripts/eval_voice_finetune.py`` compares it with the same fit over the frozen encoder.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.datasets.items import PoolItem
from streammsa.features.voice_states import DIM, STATE, VoiceStates, VoiceStatesConfig
from streammsa.features.whisper_layers import LAYERS, WhisperEncoder, layer_columns, stretch_mel
from streammsa.models.voice_reader import VoiceReader
from streammsa.training.evaluation.voice_layers import LayerVoiceReader
from streammsa.training.ridge_reader import balanced_weights
from streammsa.training.voice_reader import (
    Windows,
    choose_alpha,
    fit,
    group_windows,
    heard_windows,
    score,
    stream_groups,
    voice_items,
    window_cache_path,
)


@dataclass(frozen=True)
class TuneConfig:
    frozen: int = 2  # K: layers 0..K frozen; blocks K+1..4 and the final norm trained
    lrs: tuple[float, ...] = (3e-5, 1e-4)  # the grid, chosen on validation
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    epochs: int = 6
    patience: int = 2
    windows_per_chunk: int = 8  # consecutive windows of one stream share most of their steps
    chunks_per_batch: int = 4
    seed: int = 1
    threads: int = 2
    # the reader's ridge refitted on train + validation speakers (session 26's experiments); False: on the training
    # speakers alone, so the monitor's fits on the validation speakers (polarity calibration, alert thresholds,
    # overall weights) read their voices out of sample, as it reads a user's
    ridge_on_valid: bool = False


class _StepIndex(VoiceStates):
    """``VoiceStates`` whose states say where they came from: (step, position) in ``kept``, the frozen layers
    0..K of each step's whole stretch. The monitor's steps and context, so windows select what the monitor's do."""

    dim = 2

    def __init__(self, encoder: WhisperEncoder, frozen: int) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        self.config = VoiceStatesConfig()
        self.encoder, self.frozen = encoder, frozen
        self._mel = FeatureExtractor(feature_size=80)
        self.kept: list[np.ndarray] = []  # (K + 1, T, 384) per step

    def encode_many(self, stretches: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for x in stretches:  # as LayerStates.encode_many reads them: one by one, float32
            n = len(x) // STATE
            if n == 0:
                out.append(np.zeros((0, 2), np.float32))
                continue
            with torch.inference_mode():
                layers = self.encoder.layers(stretch_mel(self._mel, x), self.frozen)
            out.append(np.stack([np.full(n, len(self.kept)), np.arange(n)], 1).astype(np.float32))
            self.kept.append(layers[0, :, :n].numpy())
        return out


@dataclass
class Steps:
    """Every stream's windows as the monitor cuts them, with what the trainable blocks need."""

    top_input: list[np.ndarray]  # x_K of each step's whole stretch, (T, 384)
    heard: list[np.ndarray]  # per window: (n, 2) step and position of its speech states
    frozen_pooled: np.ndarray  # (N, 2 * (K + 1) * 384): mean then std of layers 0..K over each window's speech
    windows: Windows  # labels, speakers, splits; x unset until ``features``
    stream: np.ndarray  # (N,) the stream (``stream_groups`` key) of each window


def read_steps(
    items: Sequence[PoolItem], encoder: WhisperEncoder, frozen: int, log: Callable[[str], None] = print
) -> Steps:
    """The reader's windows (``training/voice_reader.window_rows``: same streams, steps, VAD and windows)."""
    from streammsa.features.audio import decode_audio_file
    from streammsa.features.voice_activity import VoiceActivity

    vad, t0 = VoiceActivity(), time.perf_counter()
    top_input: list[np.ndarray] = []
    heard_all: list[np.ndarray] = []  # per window: (n, 2) step and position of its speech states
    parts: list[Windows] = []
    streams: list[str] = []
    groups = stream_groups(items)
    for n, (g, its) in enumerate(groups.items()):
        audio = np.concatenate([decode_audio_file(it.path) for it in its])
        index = _StepIndex(encoder, frozen)
        rows = []
        for heard in heard_windows(index.extract(audio), vad.detect(audio), len(audio) / SAMPLE_RATE):
            step, pos = heard[:, 0].astype(int), heard[:, 1].astype(int)
            states = np.stack([index.kept[s][:, p] for s, p in zip(step, pos)], 1).astype(np.float64)  # (K+1, n, D)
            rows.append(np.concatenate([states.mean(1).ravel(), states.std(1).ravel()]).astype(np.float32))
            heard_all.append(np.stack([step + len(top_input), pos], 1))
        parts.append(group_windows(its, np.asarray(rows, np.float32).reshape(-1, 2 * (frozen + 1) * DIM)))
        streams += [g] * len(rows)
        top_input += [k[-1] for k in index.kept]
        if (n + 1) % 50 == 0:
            log(f"  streams {n + 1}/{len(groups)}, {len(top_input)} steps ({time.perf_counter() - t0:.0f} s)")
    windows = Windows.concat(parts)  # x: the frozen layers' pooled states until ``features`` adds the rest
    return Steps(
        top_input,
        heard_all,
        windows.x,
        dataclasses.replace(windows, x=np.zeros((len(windows), 0))),
        np.array(streams, dtype=object),
    )


def steps_cached(
    items: Sequence[PoolItem], encoder: WhisperEncoder, frozen: int, cache_dir: Path, log: Callable[[str], None] = print
) -> Steps:
    """``read_steps``, kept in ``cache_dir`` (about 2 GB: every step's x_K) for the next run."""
    import pickle

    cache = cache_dir / f"window-steps-frozen{frozen}.pkl"
    t0 = time.perf_counter()
    if cache.is_file():
        steps = pickle.loads(cache.read_bytes())
    else:
        steps = read_steps(items, encoder, frozen, log)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(steps, protocol=5))
    log(f"{len(steps.heard)} windows, {len(steps.top_input)} steps ({time.perf_counter() - t0:.0f} s)")
    return steps


def encoder_and_steps(
    data_root: Path, cache_dir: Path, frozen: int, log: Callable[[str], None] = print
) -> tuple[WhisperEncoder, Steps]:
    """The shipped encoder and the steps of every voice reader window (``voice_items``), through ``steps_cached``."""
    encoder = WhisperEncoder.from_ctranslate2(VoiceReader.base_file())
    return encoder, steps_cached(voice_items(data_root), encoder, frozen, Path(cache_dir).expanduser(), log)


class TopBlocks(nn.Module):
    """Blocks K+1..4 and the final norm, copied from the encoder; a linear head over their pooled states."""

    def __init__(self, encoder: WhisperEncoder, frozen: int) -> None:
        super().__init__()
        self.frozen = frozen
        self.blocks = copy.deepcopy(encoder.blocks[frozen:])
        self.norm = copy.deepcopy(encoder.norm)
        width = 2 * len(self.blocks) * DIM
        self.head_norm = nn.LayerNorm(width, elementwise_affine=False)
        self.head = nn.Linear(width, 1)
        nn.init.zeros_(self.head.weight)

    def layers(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 384) x_K -> (B, 4 - K, T, 384): x_{K+1} .. LN(x_4)."""
        out = []
        for block in self.blocks:
            x = block(x)
            out.append(x)
        out[-1] = self.norm(x)
        return torch.stack(out, 1)

    def pooled(self, steps: Steps, windows: Sequence[int]) -> torch.Tensor:
        """(len(windows), 2 * (4 - K) * 384): mean then std of the trainable layers over each window's speech."""
        need = sorted({int(s) for w in windows for s in steps.heard[w][:, 0]})
        start: dict[int, int] = {}  # step -> its first row in ``flat``
        by_len: dict[int, list[int]] = {}
        for s in need:
            by_len.setdefault(len(steps.top_input[s]), []).append(s)
        outs, at = [], 0
        for length, group in by_len.items():
            x = torch.from_numpy(np.stack([steps.top_input[s] for s in group]))
            outs.append(self.layers(x).permute(0, 2, 1, 3).reshape(len(group) * length, -1))  # (b * T, L * D)
            start |= {s: at + i * length for i, s in enumerate(group)}
            at += len(group) * length
        flat = torch.cat(outs)
        # every window's speech states gathered at once; per-window sums by index_add (two passes for the std)
        rows = [np.array([start[int(s)] for s in steps.heard[w][:, 0]]) + steps.heard[w][:, 1] for w in windows]
        owner = torch.from_numpy(np.repeat(np.arange(len(rows)), [len(r) for r in rows]))
        states = flat[torch.from_numpy(np.concatenate(rows).astype(np.int64))]
        n = torch.bincount(owner, minlength=len(rows)).unsqueeze(1).to(states.dtype)
        mean = torch.zeros(len(rows), states.shape[1]).index_add_(0, owner, states) / n
        var = torch.zeros_like(mean).index_add_(0, owner, (states - mean[owner]) ** 2) / n
        return torch.cat([mean, var.clamp_min(1e-12).sqrt()], 1)  # rows are layer after layer: means, then stds

    def forward(self, steps: Steps, windows: Sequence[int]) -> torch.Tensor:
        return self.head(self.head_norm(self.pooled(steps, windows))).squeeze(-1)


def features(model: TopBlocks, steps: Steps, chunk: int = 64) -> np.ndarray:
    """(N, 2 * 5 * 384) v of every window, in ``LayerStates``' pooled layout (means of layers 0..4, then stds)."""
    model.eval()
    with torch.inference_mode():
        top = np.concatenate(
            [
                model.pooled(steps, range(i, min(i + chunk, len(steps.heard)))).numpy()
                for i in range(0, len(steps.heard), chunk)
            ]
        )
    k, t = model.frozen + 1, LAYERS - model.frozen - 1
    fm, fs = np.split(steps.frozen_pooled, 2, axis=1)
    tm, ts = np.split(top, 2, axis=1)
    assert fm.shape[1] == k * DIM and tm.shape[1] == t * DIM
    return np.concatenate([fm, tm, fs, ts], axis=1).astype(np.float64)


def _batches(steps: Steps, idx: np.ndarray, cfg: TuneConfig, rng: np.random.Generator) -> list[list[int]]:
    """Chunks of consecutive windows of one stream, shuffled, ``chunks_per_batch`` to a batch."""
    chunks, run = [], []
    for i in idx:
        if run and (steps.stream[i] != steps.stream[run[-1]] or len(run) == cfg.windows_per_chunk):
            chunks.append(run)
            run = []
        run.append(int(i))
    chunks += [run] if run else []
    order = rng.permutation(len(chunks))
    return [
        sum((chunks[j] for j in order[b : b + cfg.chunks_per_batch]), [])
        for b in range(0, len(order), cfg.chunks_per_batch)
    ]


def _valid_mae(model: TopBlocks, steps: Steps, idx: np.ndarray, weight: np.ndarray) -> float:
    model.eval()
    with torch.inference_mode():
        y = np.concatenate([model(steps, idx[i : i + 64]).numpy() for i in range(0, len(idx), 64)])
    return float(np.average(np.abs(y - steps.windows.label[idx]), weights=weight))


def tune(
    encoder: WhisperEncoder, steps: Steps, lr: float, cfg: TuneConfig, log: Callable[[str], None] = print
) -> tuple[TopBlocks, list[float]]:
    """The top blocks trained on the training speakers at ``lr``; the epoch with the lowest validation MAE kept."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    w = steps.windows
    train, valid = np.flatnonzero(w.split == "train"), np.flatnonzero(w.split == "valid")
    weight = np.zeros(len(w))  # sides balanced within each split, as the ridge reader's fit and choice weigh them
    weight[train] = balanced_weights(w.label[train], w.weight[train])
    cv = balanced_weights(w.label[valid], w.weight[valid])
    model = TopBlocks(encoder, cfg.frozen)
    body = [p for n, p in model.named_parameters() if not n.startswith("head")]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": model.head.parameters(), "lr": cfg.head_lr}],
        weight_decay=cfg.weight_decay,
    )
    history = [_valid_mae(model, steps, valid, cv)]  # epoch 0: the frozen blocks under a zero head
    best, best_state, since = history[0], copy.deepcopy(model.state_dict()), 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        for batch in _batches(steps, train, cfg, rng):
            y = model(steps, batch)
            cw = torch.from_numpy(weight[batch]).float()
            loss = (cw * (y - torch.from_numpy(w.label[batch]).float()) ** 2).sum() / cw.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        history.append(_valid_mae(model, steps, valid, cv))
        log(f"  lr {lr:g} epoch {epoch}: validation MAE {history[-1]:.4f} ({time.perf_counter() - t0:.0f} s)")
        if history[-1] < best:
            best, best_state, since = history[-1], copy.deepcopy(model.state_dict()), 0
        elif (since := since + 1) >= cfg.patience:
            break
    model.load_state_dict(best_state)
    return model, history


def tune_grid(
    encoder: WhisperEncoder, steps: Steps, cfg: TuneConfig, log: Callable[[str], None] = print
) -> tuple[TopBlocks, dict[str, Any]]:
    """``tune`` at each rate of ``cfg.lrs``; the rate whose best epoch has the lowest validation MAE, its blocks at
    that epoch, and the record: every rate's validation MAE by epoch (``tuning``) and the choice (``chosen``)."""
    runs = {lr: tune(encoder, steps, lr, cfg, log) for lr in cfg.lrs}
    lr = min(runs, key=lambda r: min(runs[r][1]))
    model, history = runs[lr]
    record = {
        "tuning": {f"{r:g}": {"valid_mae_by_epoch": h} for r, (_, h) in runs.items()},
        "chosen": {"lr": lr, "epoch": int(np.argmin(history))},
    }
    return model, record


def frozen_fit(encoder: WhisperEncoder, steps: Steps, cfg: TuneConfig) -> dict[str, Any]:
    """``ridge_reader``'s record over the frozen encoder's layers: the baseline the tuned blocks are measured
    against."""
    return ridge_reader(steps, features(TopBlocks(encoder, cfg.frozen), steps), {}, None, cfg.ridge_on_valid)[1]


def tuned_part(top: TopBlocks) -> dict[str, np.ndarray]:
    """The tuned blocks' and final norm's weights under the whole encoder's state-dict keys (what the voice reader's
    file stores: ``LayerStates(tuned=...)`` puts them in place of the shipped ones)."""
    out = {}
    for k, v in top.state_dict().items():
        if k.startswith("blocks."):
            i, rest = k.split(".", 2)[1:]
            out[f"blocks.{int(i) + top.frozen}.{rest}"] = v.detach().numpy().astype(np.float32).copy()
        elif k.startswith("norm."):
            out[k] = v.detach().numpy().astype(np.float32).copy()
    return out


def top_blocks_with(encoder: WhisperEncoder, frozen: int, tuned: dict[str, np.ndarray]) -> TopBlocks:
    """``TopBlocks`` holding ``tuned`` (``tuned_part``'s keys; the training head is not stored and stays zero)."""
    top = TopBlocks(encoder, frozen)
    state = {}
    for k, v in tuned.items():
        if k.startswith("blocks."):
            i, rest = k.split(".", 2)[1:]
            k = f"blocks.{int(i) - frozen}.{rest}"
        state[k] = torch.from_numpy(np.asarray(v))
    missing, unexpected = top.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("head") for k in missing):
        raise ValueError(f"tuned weights do not fit blocks {frozen + 1}-4: {unexpected or missing}")
    return top


def ridge_reader(
    steps: Steps,
    x: np.ndarray,
    meta: dict[str, Any],
    tuned: dict[str, np.ndarray] | None = None,
    on_valid: bool = False,
) -> tuple[VoiceReader, dict[str, Any]]:
    """The voice reader's own fit over v (every layer's pooled states): strength on validation, fitted on the
    training speakers (``on_valid``: refitted on train + validation; see ``TuneConfig.ridge_on_valid``), test once.
    ``tuned``: the encoder weights v was read with (None: the frozen encoder's layers)."""
    rows = dataclasses.replace(steps.windows, x=x)
    split = {s: rows.where(rows.split == s) for s in ("train", "valid", "test")}
    alpha, maes = choose_alpha(split["train"], split["valid"])
    meta = meta | {
        "alpha": alpha,
        "alphas": {f"{k:g}": round(v, 4) for k, v in maes.items()},
        "fitted_on": "train + valid" if on_valid else "train",
    }
    if tuned is None:
        meta["columns"] = layer_columns(tuple(range(LAYERS))).tolist()
    kind = VoiceReader if tuned else LayerVoiceReader
    if on_valid:
        reader = fit(rows.where(rows.split != "test"), alpha, meta, kind=kind)
    else:
        reader = fit(split["train"], alpha, meta, kind=kind, held_out=split["valid"])
    reader.tuned_encoder = tuned
    test = split["test"]
    scored = {"all": score(reader, test)} | {
        c: score(reader, test.where(test.corpus == c)) for c in ("ravdess", "emodb") if (test.corpus == c).any()
    }
    return reader, {
        "alpha": alpha,
        "alphas": meta["alphas"],
        "valid_mae": maes[alpha],
        "test": {k: dataclasses.asdict(s) for k, s in scored.items()},
    }


def window_cache(steps: Steps, x: np.ndarray) -> dict[str, np.ndarray]:
    """v of every window by stream, as ``read_streams`` caches a kind of states (the conflict evaluation reads each
    speaker's typicality from it)."""
    return {g: x[steps.stream == g].astype(np.float32) for g in dict.fromkeys(steps.stream.tolist())}


def save_window_cache(cache_dir: Path, tag: str, steps: Steps, x: np.ndarray) -> None:
    """``window_cache`` where a reader whose ``CACHE_TAG`` is ``tag`` looks for it (``window_cache_path``)."""
    path = window_cache_path(cache_dir, tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **window_cache(steps, x))
