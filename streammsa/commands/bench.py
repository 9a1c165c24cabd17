"""`streammsa bench`: Benchmark model and pipeline speed."""

from __future__ import annotations

import argparse

from streammsa.errors import NotReadyError

HELP = "Benchmark model and pipeline speed (not implemented yet: issue #3/4)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise NotReadyError("this command is not implemented yet (tracked in issue #3/4)")
