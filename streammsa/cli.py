"""``streammsa`` command line: one module per subcommand under streammsa.commands.

Exit codes: 0 ok, 1 runtime failure, 2 usage error or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from streammsa import __version__
from streammsa import log as logsetup
from streammsa.errors import StreamMSAError

# name -> module under streammsa.commands; each has HELP, add_arguments(parser), run(args) -> int
COMMANDS: dict[str, str] = {
    "live": "live",
    "replay": "replay",
    "demo": "demo",
    "train": "train",
    "eval": "evaluate",
    "bench": "bench",
    "devices": "devices",
    "doctor": "doctor",
    "report": "report",
    "batch": "batch",
}

# modules only the `train` extra installs (pyproject.toml): train, eval and the dataset tools import them
TRAIN_ONLY_MODULES = frozenset({"yaml", "vaderSentiment"})


def _add_verbosity(parser: argparse.ArgumentParser, defaults: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    kw_v = {"default": 0} if defaults else {"default": argparse.SUPPRESS}
    kw_q = {"default": False} if defaults else {"default": argparse.SUPPRESS}
    group.add_argument("-v", "--verbose", action="count", help="more log output (-vv for debug)", **kw_v)
    group.add_argument("-q", "--quiet", action="store_true", help="errors only", **kw_q)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streammsa",
        description="Real-time multimodal sentiment monitor: sentiment intensity (-3..+3), "
        "per-modality readings and cross-modal conflict scores from webcam + microphone or recordings.",
        epilog="Exit codes: 0 ok, 1 runtime failure, 2 usage error or bad input.",
    )
    parser.add_argument("--version", action="version", version=f"streammsa {__version__}")
    # -v/-q work before or after the command; the subcommand copies default to SUPPRESS so an
    # option given before the command is not overwritten by the subparser's default
    _add_verbosity(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _add_verbosity(common, defaults=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in COMMANDS.items():
        mod = importlib.import_module(f"streammsa.commands.{modname}")
        p = sub.add_parser(name, parents=[common], help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    logger = logsetup.configure(-1 if args.quiet else args.verbose)
    try:
        return int(args._run(args) or 0)
    except StreamMSAError as exc:
        print(f"streammsa {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in TRAIN_ONLY_MODULES:
            return _unexpected(args.command, exc, logger)
        # a wheel installed without the `train` extra: say how to get it, not a traceback
        print(
            f"streammsa {args.command}: error: this command needs the training extras ({exc.name} is missing); "
            "install them with: pip install 'streammsa[train]'",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"streammsa {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback only with -v
        return _unexpected(args.command, exc, logger)


def _unexpected(command: str, exc: BaseException, logger: logging.Logger) -> int:
    if logger.isEnabledFor(logging.DEBUG):
        logger.error("unexpected failure", exc_info=exc)
    print(f"streammsa {command}: error: {type(exc).__name__}: {exc} (rerun with -v for details)", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
