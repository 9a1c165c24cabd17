"""faster-whisper behind one small interface: ``WhisperBackend.transcribe(audio, init_prompt)``.

``WhisperConfig.model``: None -> the bundled offline tiny.en (streammsa.assets); a
folder -> a CTranslate2 model there; a name ("small.en", ...) -> that model from the local
Hugging Face cache only (nothing is downloaded at run time). ``device="auto"`` uses CUDA
with float16 when CTranslate2 sees a GPU, else CPU int8 with ``cpu_threads`` (``default_cpu_threads()`` when None).

Decoding is deterministic (temperature 0 only, no sampling fallback) so that replaying the
same audio gives the same words. ``vad`` runs faster-whisper's bundled Silero VAD
(``vad_filter``) so silence is skipped; word timestamps are always on.

``transcribe`` returns ``Transcript(words, segment_ends)`` with times in seconds relative
to the start of ``audio`` (float32 mono 16 kHz).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from streammsa import assets
from streammsa.asr.words import TimedWord
from streammsa.errors import InputError
from streammsa.log import get as get_logger

log = get_logger("asr")


@dataclass
class WhisperConfig:
    model: str | None = None  # None: bundled tiny.en; or a folder, or a faster-whisper model name
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    compute_type: str | None = None  # None: float16 on CUDA, int8 on CPU
    cpu_threads: int | None = None  # None: default_cpu_threads()
    language: str | None = "en"  # None: detect (multilingual models only)
    vad: bool = True
    # Greedy: streaming re-decodes the buffer every min_chunk_s, and beam search (5) costs
    # about twice the time on CPU for little gain with LocalAgreement smoothing the output.
    beam_size: int = 1
    vad_parameters: dict[str, float | int] = field(default_factory=lambda: {"min_silence_duration_ms": 500})


@dataclass
class Transcript:
    words: list[TimedWord]
    segment_ends: list[float]


def default_cpu_threads() -> int:
    """Whisper's CPU threads when none are asked for: one on a machine of two cores or fewer, two on a larger one.
    The monitor runs its stages side by side, so on two cores the second is taken: there, two decoder threads cost a
    33-s --fast replay 0.36 CPU-s and 0.16 s more than one, 0.73 CPU-s and 0.38 s without video (measured, issue
    #12: OpenMP's threads wait on each other while the other stages hold the cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if cores <= 2 else 2


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - any failure means no usable GPU
        return False


def resolve_model(model: str | None) -> str:
    """Path (as str) for the default or a folder; a model name is passed through."""
    if model is None:
        return str(assets.whisper_tiny_en())
    p = Path(model).expanduser()
    if p.exists():
        if not (p / "model.bin").exists():
            raise InputError(
                f"{p} is not a faster-whisper (CTranslate2) model folder (no model.bin); "
                "pass a model folder or a model name such as tiny.en"
            )
        return str(p)
    if os.sep in model or model.startswith("."):
        raise InputError(f"ASR model folder {model} not found; check the path")
    return model


class WhisperBackend:
    def __init__(self, config: WhisperConfig | None = None) -> None:
        from faster_whisper import WhisperModel

        self.config = cfg = config or WhisperConfig()
        device = cfg.device
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        compute = cfg.compute_type or ("float16" if device == "cuda" else "int8")
        self.device, self.compute_type = device, compute
        self.cpu_threads = cfg.cpu_threads or default_cpu_threads()
        self.model_ref = resolve_model(cfg.model)
        try:
            self.model = WhisperModel(
                self.model_ref, device=device, compute_type=compute, cpu_threads=self.cpu_threads, local_files_only=True
            )
        except Exception as exc:  # noqa: BLE001 - HF hub / CTranslate2 raise many kinds
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"cannot load ASR model '{cfg.model or self.model_ref}' ({first}); pass a local "
                "faster-whisper model folder with --asr-model, or leave it out for the bundled tiny.en"
            ) from exc
        self._lock = threading.Lock()  # one CTranslate2 model, one decode at a time
        log.debug("whisper %s on %s/%s, %d CPU threads", self.model_ref, device, compute, self.cpu_threads)

    def transcribe(self, audio: np.ndarray, init_prompt: str = "", beam_size: int | None = None) -> Transcript:
        """``beam_size`` overrides the config for one call (the batch path affords beam search)."""
        cfg = self.config
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        with self._lock:
            segments, _info = self.model.transcribe(
                audio,
                language=cfg.language,
                initial_prompt=init_prompt or None,
                beam_size=beam_size or cfg.beam_size,
                temperature=0.0,
                word_timestamps=True,
                condition_on_previous_text=True,
                vad_filter=cfg.vad,
                vad_parameters=dict(cfg.vad_parameters) if cfg.vad else None,
            )
            words: list[TimedWord] = []
            ends: list[float] = []
            for seg in segments:  # a generator: decoding happens while iterating
                if seg.no_speech_prob > 0.9 and seg.avg_logprob < -1.0:
                    continue  # Whisper's own "this was not speech" verdict
                for w in seg.words or []:
                    words.append(TimedWord(float(w.start), float(w.end), w.word, float(w.probability)))
                ends.append(float(seg.end))
        return Transcript(words, ends)
