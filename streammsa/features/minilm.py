"""all-MiniLM-L6-v2 as a plain BERT encoder in torch, read straight from its safetensors and tokenizer.json.

The monitor needs only the encoder's last hidden states. Building the same model through transformers
cost 3.5-4.6 CPU-seconds on the 2-core machine (its import pulls in torch._dynamo, sympy and more), all
of it spent while the monitor starts; this module costs about 0.05 s and gives the same hidden states
(tests/features/test_features_minilm.py compares them with transformers' BertModel).

    h_0 = LayerNorm(E_word[x] + E_pos[t] + E_type[s])                    (embeddings)
    a_l = LayerNorm(h_{l-1} + W_o MultiHead(h_{l-1}))                    (self-attention, post-norm)
    h_l = LayerNorm(a_l + W_2 GELU(W_1 a_l))                             (feed-forward, post-norm)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from streammsa.errors import InputError


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def from_json(cls, path: Path) -> BertConfig:
        d = json.loads(path.read_text())
        if d.get("model_type") != "bert" or d.get("hidden_act") != "gelu":
            raise InputError(f"{path}: not a BERT encoder with GELU (model_type {d.get('model_type')!r})")
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


class _Embeddings(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings(types)
        return self.LayerNorm(x)


class _Projection(nn.Module):
    """dense, then LayerNorm of the residual sum (BERT's post-norm)."""

    def __init__(self, n_in: int, c: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(n_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _QKV(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)


class _Attention(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.add_module("self", _QKV(c))  # the checkpoint's names: attention.self.query, ...
        self.output = _Projection(c.hidden_size, c)
        self.heads = c.num_attention_heads

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        b, t, d = h.shape
        qkv = self._modules["self"]

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = split(qkv.query(h)), split(qkv.key(h)), split(qkv.value(h))
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=keep[:, None, None, :])  # padding masked out
        return self.output(ctx.transpose(1, 2).reshape(b, t, d), h)


class _FeedForward(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))  # exact (erf) GELU, as BERT's "gelu"


class _Layer(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _FeedForward(c)
        self.output = _Projection(c.intermediate_size, c)

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        a = self.attention(h, keep)
        return self.output(self.intermediate(a), a)


class _Stack(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList([_Layer(c) for _ in range(c.num_hidden_layers)])


class BertEncoder(nn.Module):
    """BERT's encoder without the pooler: token ids -> last hidden states (B, T, hidden)."""

    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.config = c
        self.embeddings = _Embeddings(c)
        self.encoder = _Stack(c)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        types = token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids)
        keep = attention_mask.bool()
        h = self.embeddings(input_ids, types)
        for layer in self.encoder.layer:
            h = layer(h, keep)
        return h


# Weights in the checkpoint this encoder does not use (the sentence pooler; a buffer of positions).
_UNUSED = ("pooler.", "embeddings.position_ids")


def load_encoder(folder: Path) -> BertEncoder:
    """The encoder of ``folder`` (config.json + model.safetensors), in eval mode; every weight must load."""
    from safetensors.torch import load_file

    for name in ("config.json", "model.safetensors"):
        if not (folder / name).is_file():
            raise InputError(f"{folder / name} not found: the text encoder needs it (run the set-up again)")
    model = BertEncoder(BertConfig.from_json(folder / "config.json"))
    state = {k: v for k, v in load_file(str(folder / "model.safetensors")).items() if not k.startswith(_UNUSED)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise InputError(
            f"{folder}: weights do not match a BERT encoder (missing {missing[:2]}, unexpected {unexpected[:2]})"
        )
    return model.eval()


def load_tokenizer(folder: Path, max_length: int | None = None):
    """The fast WordPiece tokenizer of ``folder`` (tokenizer.json), [CLS] ... [SEP] added by its template.

    tokenizer.json stores its own truncation and fixed padding (128); they are replaced here: with
    ``max_length``, truncation to it and padding to the longest text of a batch; without, neither.
    """
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    if not path.is_file():
        raise InputError(f"{path} not found: word-to-token alignment needs the fast tokenizer (run the set-up again)")
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    if max_length is not None:
        tok.enable_truncation(max_length=max_length)
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")
    return tok
