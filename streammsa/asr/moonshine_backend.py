"""Moonshine base-en (onnxruntime) behind the same ``transcribe(audio) -> Transcript`` as Whisper.

Why: Whisper's encoder always processes a 30-s window (about 0.9 CPU-s per decode for tiny.en on 2
threads, however short the audio), while Moonshine's encoder and decoder scale with the audio:
about 0.25 CPU-s for a 1-s buffer, so a streaming recogniser can afford to re-decode speech often.

Decoding is greedy (argmax, deterministic) with the decoder's key/value cache, at most
``tokens_per_s`` tokens a second of audio plus a few (Moonshine's own limit, guarding against loops).

**Word times.** Moonshine has no timestamps. A word's span is placed proportionally to its characters
(plus one for the gap after it) over the audio it was decoded from; the segmented recogniser hands
it audio trimmed by the voice-activity detector to the speech it holds, so the spread runs from the
speech onset to the last speech heard. Checked against tiny.en's word timestamps in
``tests/asr/test_asr_moonshine.py``. ``init_prompt`` is accepted and ignored (Moonshine takes no prompt).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streammsa.asr.whisper_backend import Transcript
from streammsa.asr.words import TimedWord, normalise
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.errors import InputError

BOS, EOS = 1, 2
BYTE_TOKENS = range(3, 259)  # sentencepiece byte fallback: <0x00>..<0xFF>
SPACE = "\u2581"  # sentencepiece's word-start mark
MIN_SAMPLES = SAMPLE_RATE // 10  # the encoder's convolutions need some audio


@dataclass(frozen=True)
class MoonshineConfig:
    model_dir: str | None = None  # None: the prepared base-en (streammsa.assets.moonshine_base_en)
    # one thread: with the whole monitor on 2 cores, a second thread doubled the CPU of a decoder step
    # and made it slower, not faster (measured under load)
    cpu_threads: int = 1
    tokens_per_s: float = 6.5  # decode limit: Moonshine's reference uses 6 tokens per second of audio


def read_tokenizer(path: Path) -> list[bytes]:
    """moonshine.cpp's ``tokenizer.bin``: one length-prefixed byte string per token id (length as a
    1- or 2-byte little-endian varint)."""
    data = path.read_bytes()
    out: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n >= 128:
            n = (n & 127) | (data[i] << 7)
            i += 1
        out.append(data[i : i + n])
        i += n
    return out


class MoonshineTokenizer:
    def __init__(self, path: Path) -> None:
        self.pieces = read_tokenizer(path)

    def decode(self, ids: list[int]) -> str:
        raw = bytearray()
        for t in ids:
            if t in BYTE_TOKENS:
                raw.append(t - BYTE_TOKENS.start)
            elif BYTE_TOKENS.stop <= t < len(self.pieces):
                raw += self.pieces[t]
        return raw.decode("utf-8", errors="replace").replace(SPACE, " ")

    def starts_word(self, token: int) -> bool:
        return BYTE_TOKENS.stop <= token < len(self.pieces) and self.pieces[token].startswith(SPACE.encode())


def spread_words(text: str, duration: float) -> list[TimedWord]:
    """Words of ``text`` over ``[0, duration]``, each as long as its characters plus one for the gap."""
    parts = text.split()
    if not parts or duration <= 0:
        return []
    weights = [len(p) + 1 for p in parts]
    scale = duration / sum(weights)
    out, t = [], 0.0
    for p, w in zip(parts, weights):
        # the gap is the word's last character slot: the word ends before it
        out.append(TimedWord(round(t, 3), round(t + (w - 1) * scale, 3), " " + p))
        t += w * scale
    return out


def drop_loop(text: str) -> str:
    """Drop a run of two or more words repeated back to back at the end: Moonshine's greedy decoding
    loops on audio cut mid-sentence ("... than we expect. The quarterly ... than we expect.")."""
    words = text.split()
    keys = [normalise(w) for w in words]
    n = len(keys) // 2
    while n >= 2:
        if keys[-2 * n : -n] == keys[-n:]:
            words, keys = words[:-n], keys[:-n]
            n = len(keys) // 2
        else:
            n -= 1
    return " ".join(words)


class MoonshineBackend:
    timestamps = False  # word times are spread over the audio (see the module docstring)
    forces_prefix = True  # transcribe(prefix=...) skips decoding words already committed

    def __init__(self, config: MoonshineConfig | None = None) -> None:
        import onnxruntime as ort

        from streammsa import assets

        self.config = cfg = config or MoonshineConfig()
        root = Path(cfg.model_dir) if cfg.model_dir else assets.moonshine_base_en()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cfg.cpu_threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.encoder = ort.InferenceSession(
                str(root / "encoder_model.onnx"), opts, providers=["CPUExecutionProvider"]
            )
            self.decoder = ort.InferenceSession(
                str(root / "decoder_model_merged.onnx"), opts, providers=["CPUExecutionProvider"]
            )
            self.tokenizer = MoonshineTokenizer(root / "tokenizer.bin")
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for bad files
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"cannot load the Moonshine model in {root} ({first}); rerun bash scripts/setup.sh, "
                "or pass --asr-engine whisper"
            ) from exc
        self._past_names = [i.name for i in self.decoder.get_inputs() if i.name.startswith("past_key_values")]
        self._out_names = [o.name for o in self.decoder.get_outputs()]
        self._lock = threading.Lock()
        self._last_ids: list[int] = []  # the last decode's tokens: where a forced prefix is looked up
        self.decoder_steps = 0

    def decode_ids(self, audio: np.ndarray, prefix: list[int] | None = None) -> list[int]:
        """Greedy token ids for ``audio`` (float32 mono 16 kHz), without BOS/EOS; ``prefix`` ids are forced
        (fed in one decoder call, not decoded again)."""
        x = np.ascontiguousarray(audio, dtype=np.float32).reshape(1, -1)
        if x.shape[1] < MIN_SAMPLES:
            return []
        ids = [BOS, *(prefix or [])]
        limit = int(np.ceil(x.shape[1] / SAMPLE_RATE * self.config.tokens_per_s)) + 4
        with self._lock:
            hidden = self.encoder.run(None, {"input_values": x})[0]
            past = {n: np.zeros((1, 8, 0, 52), np.float32) for n in self._past_names}
            feed_ids = list(ids)  # the first call reads BOS and the whole forced prefix
            for step in range(max(0, limit - len(ids) + 1)):
                feed = {
                    "input_ids": np.array([feed_ids], np.int64),
                    "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([step > 0]),
                    **past,
                }
                out = self.decoder.run(None, feed)
                self.decoder_steps += 1
                token = int(out[0][0, -1].argmax())
                for name, value in zip(self._out_names[1:], out[1:]):
                    # the cross-attention cache is computed on the first call only; later calls echo it
                    if step == 0 or ".decoder." in name:
                        past[name.replace("present", "past_key_values")] = value
                if token == EOS:
                    break
                ids.append(token)
                feed_ids = [token]
        return ids[1:]

    def _prefix_ids(self, prefix: str) -> list[int]:
        """Token ids of the last decode that spell ``prefix`` up to a word boundary (none when they do not)."""
        want = [normalise(w) for w in prefix.split()]
        ids = self._last_ids
        if not want or not ids:
            return []
        starts = [k for k, t in enumerate(ids) if self.tokenizer.starts_word(t)] + [len(ids)]
        for k in starts:
            got = [normalise(w) for w in self.tokenizer.decode(ids[:k]).split()]
            if got == want:
                return ids[:k]
            if len(got) > len(want):
                break
        return []

    def transcribe(
        self, audio: np.ndarray, init_prompt: str = "", beam_size: int | None = None, prefix: str = ""
    ) -> Transcript:
        """``prefix``: words the transcript is known to start with (committed ones); when the last decode
        spelled them, their tokens are forced instead of decoded again, so re-decoding a growing
        segment costs only its new words."""
        ids = self.decode_ids(audio, self._prefix_ids(prefix) if prefix else None)
        self._last_ids = ids
        duration = len(audio) / SAMPLE_RATE
        words = spread_words(drop_loop(self.tokenizer.decode(ids)), duration)
        return Transcript(words, [duration] if words else [])
