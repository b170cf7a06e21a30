"""Pacing and progress for long runs: send at a time scale, report how far we are."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

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


class Progress:
    """Prints ``what: N records (R/s)`` to stderr every ``every`` seconds and at the end."""

    def __init__(self, what: str, every: float = 2.0, out: TextIO | None = None) -> None:
        self._what = what
        self._every = every
        self._out = out or sys.stderr
        self._started = self._last = time.monotonic()
        self.count = 0
        self.rate = 0.0

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting them; print now and then and once at the end."""
        for item in items:
            yield item
            self.count += 1
            if self.count % 1000 == 0 and time.monotonic() - self._last >= self._every:
                self._print()
        self._print()

    def _print(self) -> None:
        self._last = time.monotonic()
        self.rate = self.count / max(self._last - self._started, 1e-9)
        line = f"{self._what}: {self.count:,} records ({self.rate:,.0f}/s)"
        print(line, file=self._out, flush=True)
