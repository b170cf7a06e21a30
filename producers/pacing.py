"""Pacing: send records at a time scale of their event time.

Producers print nothing: the command line shows how far a run has got, around the records
they yield."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from producers.records import Record


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
    if speed is None:
        yield from records
        return
    first_ms: int | None = None
    started = clock()
    for record in records:
        if first_ms is None:
            first_ms = record.timestamp_ms
        due = started + (record.timestamp_ms - first_ms) / 1000 / speed
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        yield record


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
