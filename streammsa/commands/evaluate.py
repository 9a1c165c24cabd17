"""`streammsa eval`: Evaluate a checkpoint with the MMSA metrics."""

from __future__ import annotations

import argparse

from streammsa.errors import NotReadyError

HELP = "Evaluate a checkpoint with the MMSA metrics (not implemented yet: issue #3)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise NotReadyError("this command is not implemented yet (tracked in issue #3)")
