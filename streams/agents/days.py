"""The ``days`` agent (one partition): adds the day facts of the other agents into the
per-day totals, a global table every worker can read for ``/status``, and writes the daily
and running aggregates.

Per batch: decode each message's facts, add them to copies of their days' totals (a fact
counted before, by event id, changes nothing); then deliver the daily points of the changed
days and the running points from the earliest changed day on (a late event for a past day
changes every later running total), and only then write the changed days. (The daily points
of the days in between are what was written before: a replayed year, whose trains run
months ahead of its containers, rewrote them all on every batch: over a third of the
agent's points, a fifth of the worker's.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime

from lugang.reference import Reference
from streams.agents.facts import FACTS
from streams.agents.intake import Intake
from streams.agents.ports import Received
from streams.domain.counts import DayTotals, Fact
from streams.domain.status_series import status_series
from streams.schema import points
from streams.sinks.base import MetricSink
from streams.state import DayBook


class DaysAgent:
    """Keeps the per-day totals and writes the daily and running points."""

    def __init__(
        self,
        intake: Intake,
        reference: Reference,
        book: DayBook,
        metrics: MetricSink,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.intake = intake
        self.reference = reference
        self.book = book
        self.metrics = metrics
        self.clock = clock

    async def handle(self, batch: Sequence[Received]) -> None:
        """Process one batch; return once everything it caused is delivered and written."""
        facts: list[Fact] = []
        for received in batch:
            decoded = self.intake.attempt(received, _facts_of, received)
            facts += decoded or []
        changed: dict[date, DayTotals] = {}
        for year in sorted({fact.day.year for fact in facts}):
            totals = self.book.year(year)
            changed_in_year, seen = _add([f for f in facts if f.day.year == year], totals)
            for kind, times in seen.items():
                self.intake.duplicate(kind, times)
            if changed_in_year:
                await self.metrics.write(self._aggregates(totals, changed_in_year))
            changed.update(changed_in_year)
        await self.metrics.flush()
        await self.intake.deliver()
        for day_totals in changed.values():
            self.book.put(batch[-1], day_totals)
        await self.book.delivered()

    def _aggregates(
        self, totals: Mapping[date, DayTotals], changed: Mapping[date, DayTotals]
    ) -> list[points.Sample]:
        """Daily points of each ``changed`` day and running points from the first of them to
        the last day with totals (one walk over the days: :mod:`streams.domain.status_series`)."""
        samples: list[points.Sample] = []
        since, last, now = min(changed), max(totals), self.clock()
        for status in status_series(totals, self.reference, since, last, now):
            if status.as_of in changed:
                samples += points.day_samples(changed[status.as_of], self.reference)
            samples += points.status_samples(status, self.reference)
        return samples


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
