"""The --asr-* options map onto the ASR config dataclasses."""

from __future__ import annotations

import argparse

import pytest

from streammsa.asr.engines import ENGINES, StreamingConfig
from streammsa.asr.online import OnlineConfig
from streammsa.asr.options import add_arguments, configs_from_args
from streammsa.errors import UsageError


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_are_the_offline_streaming_defaults():
    whisper, streaming = configs_from_args(parse([]))
    assert whisper.model is None and whisper.vad and whisper.beam_size == 1 and whisper.language == "en"
    assert streaming.engine == "moonshine" and streaming == StreamingConfig()
    assert (
        streaming.online.min_chunk_s == 1.0 and streaming.online.buffer_trimming_s == OnlineConfig().buffer_trimming_s
    )
    assert whisper.cpu_threads is None and streaming.moonshine.cpu_threads == 1  # Whisper's: by the machine's cores


def test_flags_reach_the_configs():
    argv = ["--asr-model", "/models/small.en", "--no-vad", "--asr-min-chunk", "0.5", "--asr-buffer", "10"]
    argv += ["--asr-device", "cpu", "--asr-threads", "4", "--asr-engine", "whisper"]
    whisper, streaming = configs_from_args(parse(argv))
    assert whisper.model == "/models/small.en" and not whisper.vad
    assert whisper.device == "cpu" and whisper.cpu_threads == 4 and streaming.moonshine.cpu_threads == 4
    assert streaming.engine == "whisper"
    assert streaming.online.min_chunk_s == 0.5 and streaming.online.buffer_trimming_s == 10.0


def test_every_engine_is_a_choice_and_an_unknown_one_is_refused():
    for name in ENGINES:
        assert configs_from_args(parse(["--asr-engine", name]))[1].engine == name
    with pytest.raises(SystemExit):
        parse(["--asr-engine", "nope"])


def test_moonshine_refuses_another_language_with_what_to_do():
    with pytest.raises(UsageError, match="whisper-vad"):
        configs_from_args(parse(["--asr-language", "de"]))
    assert configs_from_args(parse(["--asr-language", "de", "--asr-engine", "whisper-vad"]))[1].engine == "whisper-vad"


def test_a_parser_without_the_flags_gets_the_defaults():
    whisper, streaming = configs_from_args(argparse.Namespace())
    assert whisper.model is None and streaming == StreamingConfig()
