"""`streammsa demo`: run the monitor end to end on the embedded demo clip."""

from __future__ import annotations

import argparse

from streammsa.errors import NotReadyError

HELP = "Run the monitor on the embedded demo clip (not implemented yet: issue #4)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise NotReadyError("the demo is not implemented yet (tracked in issue #4)")
