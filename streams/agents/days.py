"""The ``days`` agent (one partition): adds the day facts of the other agents into the
per-day totals, a global table every worker can read for ``/status``, and writes the daily
and running aggregates.

Per batch: decode each message's facts, add them to copies of their days' totals (a fact
counted before, by event id, changes nothing); then deliver the daily points of the changed
days, and only then write the changed days. (The daily points of the other days are what
was written before: a replayed year, whose trains run months ahead of its containers,
rewrote them all on every batch: over a third of the agent's points, a fifth of the
worker's.)

The running points (year to date, 天天班, balances) of every day from the earliest changed
one to the last day with totals change with a late event for a past day, so they are
written at most every :data:`RUNNING_EVERY_S` seconds, and so as to take at most
:data:`RUNNING_SHARE` of the agent's time, by a batch or by the timer
(:meth:`DaysAgent.write_running`), covering every day changed since the last write: a
replayed year rewrote months of them on every batch. They are derived from the stored
totals alone, so after a start (or a crash that lost some) and after each assignment the
first write covers every day in the book.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Final

from lugang.reference import Reference
from streams.agents.facts import FACTS
from streams.agents.intake import Intake
from streams.agents.ports import Received
from streams.domain.counts import DayTotals, Fact
from streams.domain.status_series import status_series
from streams.schema import points
from streams.sinks.base import MetricSink
from streams.state import DayBook

RUNNING_EVERY_S: Final = 5.0
"""How often, at most, the running points are written (and how often the timer looks)."""
RUNNING_SHARE: Final = 0.02
"""The most of the agent's time the running points take: after a write that took ``t``
seconds, the next waits at least ``t / RUNNING_SHARE`` (a replayed year's write covers
months of days, 0.2 s, and came every 5 s: 4 % of one worker's time; a live port's covers a
day or two and still comes every :data:`RUNNING_EVERY_S`)."""


class DaysAgent:
    """Keeps the per-day totals and writes the daily and running points."""

    def __init__(
        self,
        intake: Intake,
        reference: Reference,
        book: DayBook,
        metrics: MetricSink,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        running_every_s: float = RUNNING_EVERY_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.intake = intake
        self.reference = reference
        self.book = book
        self.metrics = metrics
        self.clock = clock
        self.running_every_s = running_every_s
        self.monotonic = monotonic
        # per year, the first day whose running points are due; None: every day in the book
        self._due: dict[int, date] | None = None
        self._written_at = -float("inf")
        self._interval = running_every_s  # until the next write (RUNNING_SHARE)
        self._lock = asyncio.Lock()  # a batch and the timer's write never interleave

    def assigned(self) -> None:
        """The day-facts partition was (re)assigned: the next write covers every day (the
        previous owner may have left running points unwritten)."""
        self._due = None

    async def handle(self, batch: Sequence[Received]) -> None:
        """Process one batch; return once everything it caused is delivered and written."""
        async with self._lock:
            await self._handle(batch)

    async def _handle(self, batch: Sequence[Received]) -> None:
        facts: list[Fact] = []
        for received in batch:
            decoded = self.intake.attempt(received, _facts_of, received)
            facts += decoded or []
        changed: dict[date, DayTotals] = {}
        daily: list[points.Sample] = []  # the daily points of the days changed, one write
        for year in sorted({fact.day.year for fact in facts}):
            totals = self.book.year(year)
            changed_in_year, seen = _add([f for f in facts if f.day.year == year], totals)
            for kind, times in seen.items():
                self.intake.duplicate(kind, times)
            for _, day_totals in sorted(changed_in_year.items()):
                daily += points.day_samples(day_totals, self.reference)
            if changed_in_year and self._due is not None:
                first = min(changed_in_year)
                self._due[year] = min(self._due.get(year, first), first)
            changed.update(changed_in_year)
        if daily:
            await self.metrics.write(daily)
        if changed and self._running_due():
            await self._write_running(changed)
        await self.metrics.flush()
        await self.intake.deliver()
        for day_totals in changed.values():
            self.book.put(batch[-1], day_totals)
        await self.book.delivered()

    async def write_running(self) -> None:
        """The timer's call: write the running points due, if any (every
        :data:`RUNNING_EVERY_S` seconds, on the worker that reads the day-facts topic)."""
        async with self._lock:
            if (self._due is None or self._due) and self._running_due(timer=True):
                await self._write_running({})
                await self.metrics.flush()

    def _running_due(self, timer: bool = False) -> bool:
        """Whether the running points may be written now: :data:`RUNNING_EVERY_S` after
        the last write (the timer, which looks that often, need not wait for it), and
        after a long write the longer time :data:`RUNNING_SHARE` gives."""
        if self.monotonic() - self._written_at >= self._interval:
            return True
        return timer and self._interval <= self.running_every_s

    async def _write_running(self, changed: Mapping[date, DayTotals]) -> None:
        """The running points of every day from the first one due (in each year) to the
        last day with totals, ``changed`` (not in the book yet) included; one walk over
        the days: :mod:`streams.domain.status_series`."""
        due, self._due = self._due, {}
        self._written_at = started = self.monotonic()
        years = {day.year for day in changed} | set(due or {})
        if due is None:
            years |= {day.year for day in self.book.year()}
        for year in sorted(years):
            fresh = {day: kept for day, kept in changed.items() if day.year == year}
            totals = {**self.book.year(year), **fresh}
            since = min(totals) if due is None or year not in due else due[year]
            samples: list[points.Sample] = []
            for status in status_series(totals, self.reference, since, max(totals), self.clock()):
                samples += points.status_samples(status, self.reference)
            await self.metrics.write(samples)
        spent = self.monotonic() - started
        self._interval = max(self.running_every_s, spent / RUNNING_SHARE)


def _add(
    facts: list[Fact], totals: dict[date, DayTotals]
) -> tuple[dict[date, DayTotals], Counter[str]]:
    """Add ``facts`` to ``totals`` (whose values are shared: a changed day is a copy, put
    back into ``totals``); return the changed days, and how many facts of each input topic
    were counted before (duplicates, dropped quietly)."""
    working: dict[date, DayTotals] = {}  # one copy of each day, changed or not
    changed: dict[date, DayTotals] = {}
    seen: Counter[str] = Counter()
    for fact in facts:
        day_totals = working.get(fact.day)
        if day_totals is None:
            stored = totals.get(fact.day)
            day_totals = working[fact.day] = (
                DayTotals(day=fact.day) if stored is None else stored.model_copy(deep=True)
            )
        if day_totals.add(fact):
            totals[fact.day] = changed[fact.day] = day_totals
        else:
            seen["trains" if fact.kind == "TRAIN_RUN" else "containers"] += 1
    return changed, seen


def _facts_of(received: Received) -> list[Fact]:
    """The facts one message of the day-facts topic carries."""
    return FACTS.validate_json(received.message.value or b"")
