"""Exceptions that map to the documented exit codes.

0 = ok, 1 = runtime failure, 2 = usage error or bad input. The CLI turns these
into one clear line on stderr; nothing else should print tracebacks at users.
"""

from __future__ import annotations


class StreamMSAError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class UsageError(StreamMSAError):
    """Bad arguments or bad input the user can fix (exit 2)."""

    exit_code = 2


class InputError(UsageError):
    """A file or device that is missing, unreadable or unsupported (exit 2)."""


class DeviceError(StreamMSAError):
    """A capture device that does not exist or stopped working (exit 1)."""


class NotReadyError(StreamMSAError):
    """A feature whose implementation has not landed yet (exit 1)."""
