"""`streammsa devices`: List cameras and audio input devices."""

from __future__ import annotations

import argparse

from streammsa.errors import NotReadyError

HELP = "List cameras and audio input devices (not implemented yet: issue #4)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise NotReadyError("this command is not implemented yet (tracked in issue #4)")
