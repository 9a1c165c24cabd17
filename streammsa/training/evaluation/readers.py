"""The unimodal readers an evaluation reads windows with, as the monitor does (--text-, --voice-, --face-reader)."""

from __future__ import annotations

import argparse
from typing import Any


def add_reader_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--text-reader",
        default=None,
        help="the text reading, as the monitor reads it: the shipped text reader (default), a reader file, or "
        "'head' for the model's own text head",
    )
    p.add_argument(
        "--voice-reader",
        default=None,
        help="the voice reading, as the monitor reads it: the shipped voice reader (default), a reader file, or "
        "'head' for the model's own voice head",
    )
    p.add_argument(
        "--face-reader",
        default=None,
        help="the face reading shown, as the monitor shows it: the shipped face reader (default), a reader file, or "
        "'head' for the model's own face head; the conflict signal reads the face reader (that file, or the shipped "
        "one) beside the head either way",
    )


def load_readers(args: argparse.Namespace) -> dict[str, Any]:
    """``{"text_reader": ..., "voice_reader": ..., "face_reader": ..., "face_shown": ...}``: None where the model's
    own head reads the words or the voice; the face reader is always read (the conflict signal reads it beside the
    face head), and shown only when asked for."""
    from streammsa.models.face_reader import load_face_reader
    from streammsa.models.text_reader import load_reader
    from streammsa.models.voice_reader import load_voice_reader

    return {
        "text_reader": None if args.text_reader == "head" else load_reader(_file(args.text_reader)),
        "voice_reader": None if args.voice_reader == "head" else load_voice_reader(_file(args.voice_reader)),
        "face_reader": load_face_reader(None if args.face_reader == "head" else _file(args.face_reader)),
        "face_shown": args.face_reader != "head",
    }


def monitor_config(args: argparse.Namespace, checkpoint: Any = None) -> Any:
    """The ``MonitorConfig`` (on the CPU) of an evaluation that replays media through the whole monitor with the
    readers ``add_reader_options`` chose."""
    from streammsa.commands.monitor_options import reader_choice
    from streammsa.engine.inference import EngineConfig
    from streammsa.monitor.config import MonitorConfig

    return MonitorConfig(
        engine=EngineConfig(checkpoint=checkpoint, device="cpu"),
        text_reader=reader_choice(args.text_reader),
        voice_reader=reader_choice(args.voice_reader),
        face_reader=reader_choice(args.face_reader),
    )


def _file(choice: str | None) -> str | None:
    return None if choice in (None, "shipped") else choice


def shown_sources(readers: dict[str, Any]) -> dict[str, str]:
    """What each modality's reading shown is read by, "reader" or "head" (``OverallReading.shown``)."""
    from streammsa.engine.overall_reading import shown_sources as of_readers

    return of_readers(readers.get("text_reader"), readers.get("voice_reader"), bool(readers.get("face_shown")))


def reading_sources(readers: dict[str, Any]) -> dict[str, str]:
    """What read each modality, for a record (``text_reading``, ``voice_reading``)."""
    text, voice, face = readers.get("text_reader"), readers.get("voice_reader"), readers.get("face_reader")
    face_reading = "the model's face head"
    if face is not None:
        kind = face.describe()
        face_reading = (
            f"face reader ({kind})"
            if readers.get("face_shown")
            else f"the model's face head, with the face reader ({kind}) read beside it by the conflict signal"
        )
    return {
        "text_reading": "the model's text head" if text is None else f"text reader {text.meta.get('chosen', '')}",
        "voice_reading": "the model's voice head"
        if voice is None
        else f"voice reader ({voice.describe()}, per source clip; its confidence the "
        f"speaker's typicality{'' if voice.typicality is not None else ' (none stored: 1)'})",
        "face_reading": face_reading,
    }
