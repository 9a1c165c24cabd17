"""Every layer of the Whisper tiny.en encoder, in torch, from the CTranslate2 weights the monitor already ships.

The monitor's voice states (``features/voice_states.py``) are the encoder's last layer: CTranslate2 returns no
other. Speech-emotion probes read the middle layers of a speech encoder better than its last (SUPERB weighs every
layer), so this module reads the same ``model.bin`` into a torch copy of the encoder that returns them all: the
input to each block and the final (layer-normed) output, five stacks of 384-d states every 20 ms. Its last layer
equals CTranslate2's float32 output (tests/features/test_whisper_layers.py); what the other layers are worth to the
voice reader is measured by ``training/evaluation/voice_layers.py`` (docs/results.md, "Session 23").

    x_0 = GELU(conv2(GELU(conv1(mel)))) + pos          the stem: 100 mel frames a second -> 50 states
    x_l = x_{l-1} + MHA(LN(x_{l-1})); x_l += MLP(LN(x_l))   l = 1..4, pre-norm blocks
    layers = [x_0, x_1, x_2, x_3, LN(x_4)]
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from streammsa.features.voice_states import DIM, STATE, VoiceStates, VoiceStatesConfig

LAYERS = 5  # the stem's output, the three inner blocks' outputs and the final output
HEADS = 6
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}  # CTranslate2's DataType


def read_ctranslate2(path: str | Path) -> dict[str, np.ndarray]:
    """The named variables of a CTranslate2 ``model.bin`` (format version 6: name, shape, type, bytes each)."""
    data = Path(path).read_bytes()
    at = 0

    def take(fmt: str) -> int:
        nonlocal at
        (value,) = struct.unpack_from(fmt, data, at)
        at += struct.calcsize(fmt)
        return value

    def name() -> str:
        nonlocal at
        n = take("<H")
        at += n
        return data[at - n : at].rstrip(b"\0").decode()

    if (version := take("<I")) < 5:
        raise ValueError(f"{path}: CTranslate2 model format {version}, expected 5 or later")
    name(), take("<I")  # the spec's name and revision
    out = {}
    for _ in range(take("<I")):
        key = name()
        shape = [take("<I") for _ in range(take("<B"))]
        dtype, size = np.dtype(_DTYPES[take("<B")]), take("<I")
        out[key] = np.frombuffer(data, dtype, size // dtype.itemsize, at).reshape(shape)
        at += size
    return out


class Block(nn.Module):
    """One pre-norm encoder block; q, k, v in one projection as CTranslate2 stores them (k's bias is 0)."""

    def __init__(self, d: int = DIM, heads: int = HEADS) -> None:
        super().__init__()
        self.heads = heads
        self.attn_norm, self.mlp_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.attn_out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp_in, self.mlp_out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        x = x + self.attn_out(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp_out(F.gelu(self.mlp_in(self.mlp_norm(x))))


class WhisperEncoder(nn.Module):
    def __init__(self, d: int = DIM, blocks: int = LAYERS - 1, mels: int = 80, positions: int = 1500) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(mels, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.register_buffer("pos", torch.zeros(positions, d))
        self.blocks = nn.ModuleList(Block(d) for _ in range(blocks))
        self.norm = nn.LayerNorm(d)

    def layers(self, mel: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        """(B, 80, 2T) log-mel -> (B, LAYERS, T, 384); with ``upto``, only layers 0..upto (the blocks above it
        are not run)."""
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel)))).transpose(1, 2)
        x = x + self.pos[: x.shape[1]]
        out = [x]
        for block in self.blocks[: len(self.blocks) if upto is None else upto]:
            x = block(x)
            out.append(x)
        if len(out) == len(self.blocks) + 1:
            out[-1] = self.norm(x)
        return torch.stack(out, 1)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, 80, 2T) -> (B, T, 384): the last layer, what CTranslate2's ``encode`` returns."""
        return self.layers(mel)[:, -1]

    @classmethod
    def from_ctranslate2(cls, model_bin: str | Path) -> WhisperEncoder:
        w = read_ctranslate2(model_bin)

        def t(key: str) -> torch.Tensor:
            return torch.from_numpy(np.asarray(w[f"encoder/{key}"], np.float32).copy())

        state = {"pos": t("position_encodings/encodings"), "norm.weight": t("layer_norm/gamma")}
        state["norm.bias"] = t("layer_norm/beta")
        for conv in ("conv1", "conv2"):
            state[f"{conv}.weight"], state[f"{conv}.bias"] = t(f"{conv}/weight"), t(f"{conv}/bias")
        names = {
            "attn_norm": "self_attention/layer_norm",
            "mlp_norm": "ffn/layer_norm",
            "qkv": "self_attention/linear_0",
            "attn_out": "self_attention/linear_1",
            "mlp_in": "ffn/linear_0",
            "mlp_out": "ffn/linear_1",
        }
        blocks = sum(1 for k in w if k.startswith("encoder/layer_") and k.endswith("ffn/linear_0/weight"))
        for i in range(blocks):
            for ours, theirs in names.items():
                norm = theirs.endswith("layer_norm")
                state[f"blocks.{i}.{ours}.weight"] = t(f"layer_{i}/{theirs}/{'gamma' if norm else 'weight'}")
                state[f"blocks.{i}.{ours}.bias"] = t(f"layer_{i}/{theirs}/{'beta' if norm else 'bias'}")
        encoder = cls(d=state["pos"].shape[1], blocks=blocks, positions=state["pos"].shape[0])
        encoder.load_state_dict(state)
        return encoder.eval()


class LayerStates(VoiceStates):
    """``VoiceStates`` with every layer: each 20-ms state is the five layers side by side ((T, 5 * 384), layer
    after layer), read by the torch encoder in float32 with the same mel frames, steps and context. ``tuned``: some
    of the encoder's weights in place of the shipped ones (the voice reader's tuned top blocks, by state-dict key)."""

    dim = LAYERS * DIM

    def __init__(
        self,
        model_dir: str | Path | None = None,
        config: VoiceStatesConfig | None = None,
        tuned: Mapping[str, Any] | None = None,
    ) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        from streammsa import assets

        self.config = config or VoiceStatesConfig()
        self.model_dir = Path(model_dir) if model_dir is not None else assets.whisper_tiny_en()
        self.encoder = WhisperEncoder.from_ctranslate2(self.model_dir / "model.bin")
        if tuned:
            own = self.encoder.state_dict()
            if unknown := sorted(set(tuned) - set(own)):
                raise ValueError(f"not weights of the Whisper encoder: {', '.join(unknown[:3])}")
            own.update({k: torch.as_tensor(np.asarray(v, np.float32)) for k, v in tuned.items()})
            self.encoder.load_state_dict(own)
        self._mel = FeatureExtractor(feature_size=80)

    def encode_many(self, stretches: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for x in stretches:  # one by one: stretches differ in length and torch needs no batch to be quick
            n = len(x) // STATE
            if n == 0:
                out.append(np.zeros((0, self.dim), np.float32))
                continue
            with torch.inference_mode():
                layers = self.encoder.layers(stretch_mel(self._mel, x))[0]
            out.append(layers[:, :n].permute(1, 0, 2).reshape(n, self.dim).numpy())
        return out


def stretch_mel(extractor: Any, x: np.ndarray) -> torch.Tensor:
    """(1, 80, 2T) log-mel of a stretch's whole 20-ms states (faster-whisper's ``FeatureExtractor``, unpadded), as
    the encoder reads it."""
    n = len(x) // STATE
    mel = extractor(np.asarray(x[: n * STATE], np.float32), padding=0)[:, : 2 * n]
    return torch.from_numpy(np.ascontiguousarray(mel[None], np.float32))


def layer_columns(layers: Sequence[int], per_layer: int = DIM) -> np.ndarray:
    """Columns of ``pooled`` (mean then standard deviation of every layer side by side) that hold ``layers``."""
    half = LAYERS * per_layer
    cols = [np.arange(i * per_layer, (i + 1) * per_layer) for i in layers]
    return np.concatenate([*cols, *(half + c for c in cols)])
