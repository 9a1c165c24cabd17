"""Command-line options for speech recognition, shared by `replay`, `live` and `bench`.

``add_arguments(parser)`` adds the ``--asr-*`` options; ``configs_from_args(args)`` turns
them into ``(WhisperConfig, StreamingConfig)``. Flags not present on a parser fall back to
the dataclass defaults, so a command may add only some of them.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from streammsa.asr.engines import ENGINES, StreamingConfig
from streammsa.asr.moonshine_backend import MoonshineConfig
from streammsa.asr.online import OnlineConfig
from streammsa.asr.whisper_backend import WhisperConfig
from streammsa.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("speech recognition")
    g.add_argument(
        "--asr-engine",
        choices=tuple(ENGINES),
        default=StreamingConfig.engine,
        help="live/paced recogniser: "
        + "; ".join(f"{k}: {e.help}" for k, e in ENGINES.items())
        + " (default %(default)s; --fast always decodes long blocks with Whisper)",
    )
    g.add_argument(
        "--asr-model",
        metavar="NAME|DIR",
        default=None,
        help="faster-whisper model folder or name in the local cache (default: bundled tiny.en, offline)",
    )
    g.add_argument("--asr-language", metavar="CODE", default="en", help="spoken language (default en)")
    g.add_argument(
        "--asr-device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where Whisper runs (default auto: CUDA float16 when available, else CPU int8)",
    )
    g.add_argument(
        "--asr-threads",
        type=int,
        default=None,
        metavar="N",
        help="CPU threads of the decoder (default for Whisper: 1 on a machine of 2 cores or fewer, else 2; "
        f"{MoonshineConfig.cpu_threads} for Moonshine)",
    )
    g.add_argument("--asr-beam", type=int, default=1, metavar="N", help="beam size (default 1, greedy)")
    g.add_argument(
        "--no-vad",
        action="store_true",
        help="Whisper: do not skip silence inside a decode (the segmented engines always find speech with Silero VAD)",
    )
    g.add_argument(
        "--asr-min-chunk",
        type=float,
        default=1.0,
        metavar="S",
        help="--asr-engine whisper: seconds of new audio between decodes (default 1.0; lower = faster words, more CPU)",
    )
    g.add_argument(
        "--asr-buffer",
        type=float,
        default=OnlineConfig.buffer_trimming_s,
        metavar="S",
        help="--asr-engine whisper: trim the audio buffer at committed sentence ends beyond S seconds "
        "(default %(default)s)",
    )


def configs_from_args(args: argparse.Namespace) -> tuple[WhisperConfig, StreamingConfig]:
    w, o, s = WhisperConfig(), OnlineConfig(), StreamingConfig()
    threads = getattr(args, "asr_threads", None)
    whisper = WhisperConfig(
        model=getattr(args, "asr_model", w.model),
        language=getattr(args, "asr_language", w.language),
        device=getattr(args, "asr_device", w.device),
        cpu_threads=threads or w.cpu_threads,
        beam_size=getattr(args, "asr_beam", w.beam_size),
        vad=not getattr(args, "no_vad", not w.vad),
    )
    online = OnlineConfig(
        min_chunk_s=getattr(args, "asr_min_chunk", o.min_chunk_s),
        buffer_trimming_s=getattr(args, "asr_buffer", o.buffer_trimming_s),
    )
    name = getattr(args, "asr_engine", s.engine)
    if ENGINES[name].decoder == "moonshine" and whisper.language not in ("en", None):
        raise UsageError(
            f"--asr-engine {name} is English only; for --asr-language {whisper.language} pass "
            "--asr-engine whisper-vad with a multilingual --asr-model"
        )
    streaming = StreamingConfig(
        engine=name,
        online=online,
        moonshine=replace(s.moonshine, cpu_threads=threads or s.moonshine.cpu_threads),
    )
    return whisper, streaming
