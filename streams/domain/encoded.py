"""The JSON forms of immutable items, remembered by identity: a track's recent readings and
moves are written to its table after every batch while they wait to settle (about five
times each), and encoding one costs more than looking it up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Encoded(Generic[Item]):
    """The JSON forms of some items, by ``id``: each with the item itself, so that an id
    reused by another object after the item is gone is never taken for it. Items must be
    immutable (their form never changes)."""

    forms: Mapping[int, tuple[Item, bytes]]

    @staticmethod
    def array(
        items: Sequence[Item], encode: Callable[[Item], bytes], known: Encoded[Item] | None
    ) -> tuple[bytes, Encoded[Item]]:
        """The JSON array of ``items`` (each as ``encode`` gives it, taken from ``known``
        when it has it), as ``orjson.dumps`` writes a list of fragments, and the forms of
        ``items`` alone."""
        forms: dict[int, tuple[Item, bytes]] = {}
        parts: list[bytes] = []
        old = {} if known is None else known.forms
        for item in items:
            hit = old.get(key := id(item))
            if hit is None or hit[0] is not item:
                hit = (item, encode(item))
            forms[key] = hit
            parts.append(hit[1])
        return b"[" + b",".join(parts) + b"]", Encoded(forms)
