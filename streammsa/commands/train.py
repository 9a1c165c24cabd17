"""`streammsa train`: Train a sentiment model (CACR, DBR, baselines)."""

from __future__ import annotations

import argparse

from streammsa.errors import NotReadyError

HELP = "Train a sentiment model (CACR, DBR, baselines) (not implemented yet: issue #3)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise NotReadyError("this command is not implemented yet (tracked in issue #3)")
