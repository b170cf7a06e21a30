"""The root of the errors Lugang raises for the user to act on."""

from __future__ import annotations


class LugangError(Exception):
    """A failure the user can act on. The message is one line (whitespace, newlines
    included, is collapsed) and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
