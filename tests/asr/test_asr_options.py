"""The --asr-* options map onto the ASR config dataclasses."""

from __future__ import annotations

import argparse

from streammsa.asr.online import OnlineConfig
from streammsa.asr.options import add_arguments, configs_from_args


def test_defaults_are_the_offline_streaming_defaults():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    whisper, online = configs_from_args(parser.parse_args([]))
    assert whisper.model is None and whisper.vad and whisper.beam_size == 1 and whisper.language == "en"
    assert online.min_chunk_s == 1.0 and online.buffer_trimming_s == OnlineConfig().buffer_trimming_s


def test_flags_reach_the_configs():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--asr-model",
            "/models/small.en",
            "--no-vad",
            "--asr-min-chunk",
            "0.5",
            "--asr-buffer",
            "10",
            "--asr-device",
            "cpu",
            "--asr-threads",
            "4",
        ]
    )
    whisper, online = configs_from_args(args)
    assert whisper.model == "/models/small.en" and not whisper.vad
    assert whisper.device == "cpu" and whisper.cpu_threads == 4
    assert online.min_chunk_s == 0.5 and online.buffer_trimming_s == 10.0


def test_a_parser_without_the_flags_gets_the_defaults():
    whisper, online = configs_from_args(argparse.Namespace())
    assert whisper.model is None and online.buffer_trimming_s == OnlineConfig().buffer_trimming_s
