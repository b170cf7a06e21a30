"""Per-partition figures Lugang keeps on faust's consumer, and whether a partition's count
moved since a moment.

Two workarounds ask the same question of a count: the fetch loop, whether a seek of a
record's partition came after its batch was fetched (:class:`~streams.faustfix.drain.SeekFence`),
and the batch take, whether a rebalance revoked an event's partition after its batch was
taken (:func:`~streams.faustfix.take.take_events`). Both count per partition with
:func:`tally` and look with :class:`MovedSince`.
"""

from __future__ import annotations

from typing import Any


def per_partition(consumer: Any, name: str) -> dict[Any, int]:
    """The per-partition figures Lugang keeps on faust's ``consumer`` under ``name``,
    made empty at first use."""
    kept: dict[Any, int] | None = consumer.__dict__.get(name)
    if kept is None:
        kept = consumer.__dict__[name] = {}
    return kept


def tally(counts: dict[Any, int], tp: Any) -> None:
    """Count one more of ``tp`` in ``counts``."""
    counts[tp] = counts.get(tp, 0) + 1


class MovedSince:
    """Whose counts in ``counts`` moved since this was made (a copy of a few entries)."""

    __slots__ = ("_counts", "_then")

    def __init__(self, counts: dict[Any, int]) -> None:
        self._counts = counts
        self._then = dict(counts)

    def any(self) -> bool:
        """Whether any partition's count moved."""
        return self._counts != self._then

    def of(self, tp: Any) -> bool:
        """Whether ``tp``'s count moved."""
        return self._counts.get(tp) != self._then.get(tp)
