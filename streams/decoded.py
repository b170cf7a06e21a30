"""Decoded values of a faust table, kept beside it so that a value is decoded once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Decoded(Generic[Value]):
    """The values a worker last read or wrote in a table, each with the bytes it is stored as.

    Tables hold bytes, and decoding them (pydantic validation) cost more than the work done
    with them. A value whose stored bytes are the ones remembered here (the usual case: this
    worker wrote them) is taken as it is; after a rebalance or a restart the bytes differ or
    are not here, and the value is decoded. The table stays the truth. Values are shared:
    copy one before changing it. At most ``limit`` are kept, the least recently used
    leaving first.
    """

    def __init__(self, decode: Callable[[bytes], Value], limit: int) -> None:
        self._decode = decode
        self._limit = limit
        self._values: dict[bytes, tuple[bytes, Value]] = {}

    def get(self, key: bytes, stored: bytes) -> Value:
        """The value of ``key`` whose table bytes are ``stored``."""
        remembered = self._values.pop(key, None)
        if remembered is not None and remembered[0] == stored:
            value = remembered[1]
        else:
            value = self._decode(stored)
        self.remember(key, stored, value)
        return value

    def remember(self, key: bytes, stored: bytes, value: Value) -> None:
        """Note that ``key`` is now stored as ``stored``, the encoding of ``value``."""
        self._values.pop(key, None)
        self._values[key] = (stored, value)
        if len(self._values) > self._limit:
            del self._values[next(iter(self._values))]
