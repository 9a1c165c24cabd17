"""Shared fixtures. Data tests skip outside CI when ../shared/data is absent and fail under CI=true."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from streammsa import paths

REPO = paths.REPO_ROOT
SHARED_DATA = paths.shared_data()
ARTIFACTS = REPO / "test-artifacts"


def _require(path: Path) -> Path:
    if path.exists():
        return path
    msg = f"{path} is absent: these tests read real data from ../shared/data (see README, 'Data')"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg + "; CI must have it")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of ../shared/data."""
    return _require(SHARED_DATA)


@pytest.fixture(scope="session")
def grid_clip(shared_data: Path) -> Path:
    return _require(shared_data / "grid" / "bbaf2n.mpg")


@pytest.fixture(scope="session")
def load_script() -> Callable[[str], ModuleType]:
    """``load_script("bench_ravdess")``: a script of scripts/ imported as a module (they are not a package)."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests save screenshots and reports worth looking at after a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the browser tests of one module (tests/support/browser.py)."""
    from support.browser import chromium

    with chromium() as b:
        yield b
