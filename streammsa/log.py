"""Logging set-up for the CLI: one convention, ``-v/--verbose`` and ``-q/--quiet``."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "streammsa"


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (not the one at set-up, which a
    program or test may have replaced and closed since)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # the StreamHandler attribute, read at each emit
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; nothing to keep
        pass


def configure(verbosity: int = 0) -> logging.Logger:
    """verbosity: -1 quiet (errors only), 0 info, 1+ debug."""
    level = logging.INFO if verbosity == 0 else (logging.DEBUG if verbosity > 0 else logging.ERROR)
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers.clear()
    handler = StderrHandler()
    fmt = "%(levelname)s %(name)s: %(message)s" if verbosity > 0 else "%(message)s"
    handler.setFormatter(logging.Formatter(fmt))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get(name: str) -> logging.Logger:
    """Module loggers live under ``streammsa.``."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}")
