"""The settings a batch folder's results were read with (``DIR/settings.json``).

A batch resumes a folder by skipping the files it already holds; a later batch with another model, reader, face
stride or alert threshold would otherwise skip them too and leave one summary mixing two kinds of reading. So the
first batch records what shapes a file's outputs, and a later one into the same folder must match it (or it stops
before any file, with what differs). Not recorded: where and how fast a batch runs (device, threads, workers,
backend), which change no reading a user would compare.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from streammsa.engine.inference import resolve_checkpoint
from streammsa.errors import InputError
from streammsa.file_hash import file_sha256
from streammsa.monitor.config import MonitorConfig

SETTINGS_NAME = "settings.json"


def result_settings(config: MonitorConfig) -> dict[str, Any]:
    """What shapes the outputs of every file of a batch run with ``config`` (as its files run:
    ``processor.batch_monitor_config``), as JSON values (files by name and sha256)."""
    checkpoint = resolve_checkpoint(config.engine)
    model = (
        {"checkpoint": checkpoint.name, "sha256": file_sha256(checkpoint)}
        if checkpoint is not None
        else {"untrained": config.engine.model, "seed": config.engine.seed}
    )
    settings: dict[str, Any] = {
        "model": model,
        "readers": {
            "text": _reader(config.text_reader),
            "voice": _reader(config.voice_reader),
            "face": _reader(config.face_reader),
        },
        "speech": {"model": config.whisper.model, "language": config.whisper.language, "vad": config.whisper.vad},
        "face_stride": config.analysed_face_stride,
        "alerts": dataclasses.asdict(config.alerts) if config.alerts is not None else "checkpoint",
        "thresholds": dataclasses.asdict(config.thresholds),
        "participants": config.participants,
    }
    if config.participants is not None:  # a --fast meeting decodes each speech segment with the streaming engine
        settings["speech"]["engine"] = config.online_asr.engine
    return json.loads(json.dumps(settings))  # as read back from the file (tuples become lists)


def _reader(choice: Path | str | None) -> Any:
    if choice is None:
        return "shipped"
    if choice == "head":
        return "head"
    return {"file": Path(choice).name, "sha256": file_sha256(choice)}


def settle(out_dir: Path, settings: dict[str, Any]) -> None:
    """Record ``settings`` as the folder's, or check them against the ones recorded; raises InputError naming what
    differs. A folder written before settings were recorded takes these."""
    path = Path(out_dir) / SETTINGS_NAME
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        return
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path} ({exc}); remove it if the folder's results are yours to keep") from None
    if recorded != settings:
        differ = sorted(k for k in {*recorded, *settings} if recorded.get(k) != settings.get(k))
        raise InputError(
            f"--out {out_dir} holds results read with other settings ({', '.join(differ)} differ); "
            "pass another --out for these settings, or the same ones as before to resume"
        )
