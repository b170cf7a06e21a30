"""Pacing: send records at a time scale of their event time.

Producers print nothing: the command line shows how far a run has got, around the records
they yield."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import TypeVar

from producers.records import Record

T = TypeVar("T")


def paced(
    records: Iterable[Record],
    speed: float | None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Record]:
    """Yield records no faster than their timestamps allow at ``speed`` × real time.

    ``speed=None`` is as fast as possible; ``1`` is real time; ``1440`` is a day a minute.
    Timestamps are taken relative to the first record, so a recording from any date plays.
    """
    return paced_by(records, speed, _timestamp_ms, sleep, clock)


def paced_by(
    items: Iterable[T],
    speed: float | None,
    at: Callable[[T], int],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[T]:
    """:func:`paced` for items that carry a record: ``at`` gives an item's timestamp (ms)."""
    if speed is None:
        yield from items
        return
    first_ms: int | None = None
    started = clock()
    for item in items:
        if first_ms is None:
            first_ms = at(item)
        due = started + (at(item) - first_ms) / 1000 / speed
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        yield item


def _timestamp_ms(record: Record) -> int:
    return record.timestamp_ms


def paced_after(
    records: Iterable[Record],
    live_from_ms: int,
    speed: float | None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Record]:
    """Records stamped before ``live_from_ms`` at once (history to catch up on), then the
    rest :func:`paced` at ``speed`` from the first of them, as if live from there."""
    iterator = iter(records)
    for record in iterator:
        if record.timestamp_ms >= live_from_ms:
            yield from paced(chain([record], iterator), speed, sleep, clock)
            return
        yield record
