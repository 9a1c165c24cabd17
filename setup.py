"""Build hook: the top-level folders a run needs become package data under ``streammsa/_data/``.

The source tree keeps the dashboard page in ``web/``, the shipped checkpoints and their model
cards in ``models/`` and the demo clip (made by set-up) in ``demo_media/``; a wheel carries
copies so an installation works without the checkout. ``streammsa/paths.py`` finds either.
Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

# (folder in the source tree, file pattern, folder under streammsa/_data); what the wheel ships
PACKAGE_DATA = [
    ("web", "*", "web"),
    ("models", "*_monitor.pt", "models"),  # the monitor checkpoints only: not whatever else was trained here
    ("models", "*_monitor.md", "models"),
    ("models", "text_reader.pt", "models"),  # the text reading (models/text_reader.py) and its card
    ("models", "text_reader.md", "models"),
    ("models", "voice_reader.npz", "models"),  # the voice reading (models/voice_reader.py) and its card
    ("models", "voice_reader.md", "models"),
    ("models", "face_reader.npz", "models"),  # the face reading (models/face_reader.py) and its card
    ("models", "face_reader.md", "models"),
    ("demo_media", "demo.mp4", "demo_media"),
    ("demo_media", "demo_script.txt", "demo_media"),
    (".", "requirements-nodeps.txt", "."),  # the --no-deps model packages: assets.py prints how to install them
]
# a wheel without these is broken: refuse to build it
REQUIRED = [
    "web/index.html",
    "models/cacr_monitor.pt",
    "models/text_reader.pt",
    "models/voice_reader.npz",
    "models/face_reader.npz",
    "requirements-nodeps.txt",
]


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        missing = [name for name in REQUIRED if not (ROOT / name).is_file()]
        if missing:
            raise SystemExit(f"cannot build streammsa: {', '.join(missing)} missing from {ROOT}")
        dest_root = Path(self.build_lib) / "streammsa" / "_data"
        shutil.rmtree(dest_root, ignore_errors=True)  # a file removed from web/ must not linger from a past build
        for folder, pattern, dest in PACKAGE_DATA:
            for src in sorted((ROOT / folder).glob(pattern)):
                if src.is_file():
                    target = dest_root / dest / src.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target)
        if not (dest_root / "demo_media" / "demo.mp4").is_file():
            print("warning: demo_media/demo.mp4 is absent (run scripts/setup.sh first); the wheel has no demo clip")


setup(cmdclass={"build_py": BuildPyWithData})
