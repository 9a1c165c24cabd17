"""A small real archive (GRID talking faces, a RAVDESS audio-only clip, one broken file) and what
``replay --fast`` gives for each file in this process: the reference every batch must equal."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support.batch_reference import BROKEN, GOOD, comparable


@pytest.fixture(scope="session")
def archive(shared_data, tmp_path_factory) -> Path:
    """in/bbaf2n.mpg, in/lbax4n.mpg, in/audio/03-01-05-....flac, in/broken.mp4 (not media)."""
    root = tmp_path_factory.mktemp("archive")
    for rel in GOOD:
        src = shared_data / rel
        if not src.is_file():
            pytest.skip(f"{src} is absent")
        dest = root / ("audio" if src.suffix == ".flac" else "") / src.name
        dest.parent.mkdir(exist_ok=True)
        shutil.copy2(src, dest)
    (root / BROKEN).write_bytes(b"this is not a video\n" * 50)
    return root


@pytest.fixture(scope="session")
def reference(archive) -> dict[str, list[dict[str, Any]]]:
    """output folder name -> comparable readings of ``replay_messages`` (``replay --fast``) in this process."""
    from streammsa.batch.inputs import find_jobs
    from streammsa.monitor import Components, MonitorConfig, replay_messages

    config = MonitorConfig()
    components = Components.build(config)
    out = {}
    for job in find_jobs(archive):
        if job.path.name != BROKEN:
            out[job.name] = comparable(replay_messages(job.path, config=config, components=components).messages)
    return out
