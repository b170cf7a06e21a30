"""What a failed command says: the one place an exception becomes a line and an exit status.

A failure the user can act on (an unreachable server, an unreadable file, a bad
``LUGANG_*`` value or option) is one line on stderr, ``lugang COMMAND: ...``, and exit
status 1; a usage error is argparse's, exit status 2; Ctrl-C ends with 130 (128 + SIGINT),
as shells expect. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final

from kafka.errors import KafkaError
from pydantic import ValidationError

from entrypoints.cli.common import CommandError
from entrypoints.embedded import BrokerStartError
from lugang.errors import LugangError
from lugang.reference import ReferenceConfigError, describe_validation_error
from lugang.settings import Settings
from lugang.topics import BrokerUnreachable
from producers.records import RecordingError
from producers.sender import DeliveryFailed

EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2  # argparse's own
EXIT_INTERRUPTED: Final = 130

USER_ERRORS: Final = (
    CommandError,
    LugangError,
    RecordingError,
    ReferenceConfigError,
    DeliveryFailed,
    BrokerStartError,
)
"""Failures whose message is the line to print, as it is."""


def variable(field: str) -> str:
    """The environment variable of a settings field, e.g. ``LUGANG_TOPIC_PARTITIONS``."""
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def settings_message(error: ValidationError) -> str:
    """A ``LUGANG_*`` value that is not valid, by its variable's name."""
    return describe_validation_error(error, variable)


def _option(args: argparse.Namespace) -> Callable[[str], str]:
    """A model field by the option of this command that gives it, if one does."""

    def name(field: str) -> str:
        return f"--{field.replace('_', '-')}" if hasattr(args, field) else field

    return name


def describe(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The line that says what failed and what to do; None for a bug (not caught)."""
    if isinstance(exc, BrokerUnreachable):
        # Every command reads LUGANG_KAFKA_BOOTSTRAP; some take --bootstrap as well.
        fix = exc.VARIABLE
        if hasattr(args, "bootstrap"):
            fix = f"--bootstrap or {fix}"
        return exc.advising(fix)
    if isinstance(exc, ValidationError):
        return describe_validation_error(exc, _option(args))
    if isinstance(exc, USER_ERRORS):
        return str(exc)
    if isinstance(exc, KafkaError):  # the broker answered, then failed
        at = f" at {args.bootstrap}" if hasattr(args, "bootstrap") else ""
        return f"Kafka{at} failed: {exc}"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{exc.filename}: {reason}" if exc.filename else reason
    return None
