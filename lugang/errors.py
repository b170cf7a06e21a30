"""The root of Lugang's own exceptions.

Every error Lugang raises on purpose derives from :class:`LugangError`, so the command
line can turn any of them into one line, and an agent can tell its own refusals from
bugs. Each package names its small subclasses where they are raised (for example
``streams.sinks.SinkRejected``); the ones shared across packages live here.
"""

from __future__ import annotations


class LugangError(Exception):
    """A failure the user can act on. The message is one line (whitespace, newlines
    included, is collapsed) and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
