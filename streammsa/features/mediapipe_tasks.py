"""MediaPipe's Tasks API, imported without paying for its drawing helpers.

``mediapipe.tasks.python.vision`` imports ``drawing_styles`` and ``drawing_utils`` whenever it is imported,
and ``drawing_utils`` imports matplotlib's pyplot: about 0.5 CPU-s under the interpreter's lock on a
2-core machine, paid while the stream's first second plays, for helpers the monitor never calls (issue #12:
start-up to the first reading). Those two modules are loaded with ``importlib.util.LazyLoader``: they are
created on import and run on first attribute access, so a program that does draw still gets them whole.

Import what the extractors need from here (``from streammsa.features.mediapipe_tasks import vision``):
importing this module installs the deferral before MediaPipe is first imported.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

DEFERRED = frozenset({"mediapipe.tasks.python.vision.drawing_styles", "mediapipe.tasks.python.vision.drawing_utils"})


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds the ``DEFERRED`` modules as the other finders would, with a lazy loader around theirs."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def _defer_drawing_helpers() -> None:
    if not any(isinstance(f, _DeferredFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferredFinder())


_defer_drawing_helpers()

import mediapipe  # noqa: E402  (after the deferral: this import runs the vision package's imports)
from mediapipe.tasks.python import BaseOptions, vision  # noqa: E402

Image = mediapipe.Image
ImageFormat = mediapipe.ImageFormat

__all__ = ["DEFERRED", "BaseOptions", "Image", "ImageFormat", "vision"]
