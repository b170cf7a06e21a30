"""The status of each day of a run of days in one walk (streams/domain/status_series.py),
and the days agent's points written with it: each day's status is the one
``compute_status`` computes afresh, equal field by field and to the last bit of every float
(the JSON of both is compared too), on simulated years of totals with days without data,
across month, quarter, half year and year ends."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lugang.reference import Reference, default_reference
from streams.agents.days import RUNNING_SHARE, DaysAgent
from streams.agents.facts import FACTS
from streams.agents.intake import Intake
from streams.agents.memory import MemoryTable
from streams.domain.counts import DayTotals, Fact
from streams.domain.status import Status, compute_status
from streams.domain.status_series import status_series
from streams.schema import points
from streams.state import DayBook, PipelineCounters
from tests.fakes import FakeMetricSink, MemoryOutbox, Topic

REF = default_reference()
TZ = REF.home.tz


def d(text: str) -> date:
    return date.fromisoformat(text)


def each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def simulated_facts(first: date, last: date, seed: int = 1) -> list[Fact]:
    """Facts of every corridor from ``first`` to ``last``: 0–2 runs a day on each (a day
    may go without a 天天班 departure), each with 0–20 moves of 20 or 40 ft boxes, laden or
    empty, some reefers, weights to 0.1 kg (so float sums depend on their order); about one
    day in eight without any data, and no data from 24 to 30 June nor from 1 to 3 January."""
    rng = random.Random(seed)
    facts: list[Fact] = []
    for day in each_day(first, last):
        gap = d("2026-06-24") <= day <= d("2026-06-30") or (day.month, day.day) <= (1, 3)
        if gap or rng.random() < 0.12:
            continue
        for cid, corridor in REF.corridors.items():
            direction = "OUTBOUND" if corridor.origin == REF.home.location else "INBOUND"
            common: dict[str, Any] = {
                "day": day,
                "corridor": cid,
                "direction": direction,
                "service_group": corridor.service_group,
                "teu_category": corridor.teu_category,
            }
            for run in range(rng.choice((0, 0, 1, 1, 2))):
                train = f"{cid}-{day}-{run}"
                facts.append(Fact(event_id=train, kind="TRAIN_RUN", train_id=train, **common))
                facts += [
                    Fact(
                        event_id=f"{train}-{box}",
                        kind="CONTAINER_MOVE",
                        teu=rng.choice((1.0, 2.0, 2.0)),
                        reefer=rng.random() < 0.3,
                        laden=rng.random() < 0.8,
                        gross_weight_kg=round(rng.uniform(2200.0, 32000.0), 1),
                        **common,
                    )
                    for box in range(rng.randint(0, 20))
                ]
    return facts


def totals_of(facts: list[Fact]) -> dict[date, DayTotals]:
    days: dict[date, DayTotals] = {}
    for fact in facts:
        days.setdefault(fact.day, DayTotals(day=fact.day)).add(fact)
    return days


DAYS = totals_of(simulated_facts(d("2025-11-01"), d("2027-01-31")))
# Two days counted by a worker that kept no TEU by corridor (Balance.teu_not_by_corridor).
for _from in (d("2025-12-30"), d("2026-01-05")):
    _old = min(day for day in DAYS if day >= _from)
    DAYS[_old] = DAYS[_old].model_copy(update={"corridor_teu": {}})


def with_service_start(start: str | None) -> Reference:
    service_start = None if start is None else d(start)
    service = REF.daily_service.model_copy(update={"service_start": service_start})
    return REF.model_copy(update={"daily_service": service})


def local(day: str, at: str) -> datetime:
    return datetime.combine(d(day), time.fromisoformat(at), TZ)


def one_by_one(
    days: dict[date, DayTotals], reference: Reference, first: date, last: date, now: datetime
) -> list[Status]:
    return [compute_status(days, reference, day, now) for day in each_day(first, last)]


def assert_same(series: list[Status], expected: list[Status]) -> None:
    assert [s.as_of for s in series] == [s.as_of for s in expected]
    assert series == expected
    assert [s.model_dump_json() for s in series] == [s.model_dump_json() for s in expected]


@pytest.mark.parametrize(
    ("first", "last", "service_start", "now"),
    [
        # 2025 and 2026 have different targets; Q4 -> Q1, H2 -> H1.
        ("2025-12-01", "2026-02-15", None, local("2026-02-15", "17:59")),
        ("2025-12-01", "2026-02-15", "2025-06-01", local("2026-02-15", "18:00")),
        # A start of service within the series; the clock within it (later days ahead).
        ("2025-12-01", "2026-02-15", "2026-01-20", local("2026-01-10", "12:00")),
        # Into a year the plan sets no targets for.
        ("2026-12-10", "2027-01-20", None, local("2027-01-20", "18:30")),
        ("2026-12-10", "2027-01-20", "2027-01-10", local("2027-01-20", "08:00")),
        # A start of service before the series; Q1 -> Q2, H1 -> H2 and a week without data.
        ("2026-03-25", "2026-07-05", "2026-03-15", local("2026-07-05", "23:59")),
        # A start of service still ahead: nothing counted.
        ("2026-05-30", "2026-06-02", "2026-09-01", local("2026-06-02", "18:00")),
        # Q3 -> Q4, the sums of the year to date running since January.
        ("2026-09-20", "2026-10-10", None, local("2026-10-10", "17:00")),
        ("2026-01-01", "2026-01-01", None, local("2026-01-01", "19:00")),
    ],
)
def test_the_series_is_the_status_of_each_day(
    first: str, last: str, service_start: str | None, now: datetime
) -> None:
    reference = with_service_start(service_start)
    series = list(status_series(DAYS, reference, d(first), d(last), now))
    assert_same(series, one_by_one(DAYS, reference, d(first), d(last), now))


def test_an_empty_series() -> None:
    now = local("2026-03-01", "12:00")
    assert list(status_series(DAYS, REF, d("2026-03-01"), d("2026-02-28"), now)) == []


def test_a_series_from_days_without_data() -> None:
    """A year with data only after the series: nothing is counted, no streak."""
    days = {day: totals for day, totals in DAYS.items() if day >= d("2026-02-01")}
    now = local("2026-01-31", "20:00")
    first, last = d("2026-01-20"), d("2026-02-03")
    series = list(status_series(days, REF, first, last, now))
    assert_same(series, one_by_one(days, REF, first, last, now))


@st.composite
def sparse_books(draw: st.DrawFn) -> tuple[dict[date, DayTotals], date, date, Reference]:
    """A few weeks around a period's end, some days with data, some served by one group or
    the other, a first and a last day, and perhaps a start of service."""
    anchor = draw(
        st.sampled_from([d("2026-01-01"), d("2026-07-01"), d("2027-01-01"), d("2028-03-01")])
    )
    span = [anchor + timedelta(n) for n in range(-20, 20)]
    days: dict[date, DayTotals] = {}
    for day in draw(st.lists(st.sampled_from(span), unique=True, max_size=30)):
        groups = draw(st.sets(st.sampled_from(["RAIL_SEA", "CROSS_BORDER"])))
        days[day] = DayTotals(
            day=day,
            runs={"HHW-QZH/OUTBOUND": len(groups) + 1},
            outbound_runs_by_group={group: 1 for group in groups},
            teu={"RAIL_SEA/OUTBOUND/LADEN": 2.0},
            corridor_teu={"HHW-QZH/OUTBOUND/LADEN": 2.0},
            gross_weight_kg=draw(st.floats(0.0, 45_000.0)),
        )
    first, last = sorted(draw(st.lists(st.sampled_from(span), min_size=2, max_size=2)))
    start = draw(st.none() | st.sampled_from(span).map(date.isoformat))
    return days, first, last, with_service_start(start)


@given(sparse_books(), st.integers(-2, 2), st.sampled_from(["06:00", "18:00"]))
@settings(max_examples=40, deadline=None)
def test_the_series_is_the_status_of_each_day_around_period_ends(
    book: tuple[dict[date, DayTotals], date, date, Reference], shift: int, at: str
) -> None:
    days, first, last, reference = book
    now = local((last + timedelta(shift)).isoformat(), at)
    series = list(status_series(days, reference, first, last, now))
    assert_same(series, one_by_one(days, reference, first, last, now))


# -- the days agent ---------------------------------------------------------------------------


def day_by_day(
    totals: dict[date, DayTotals], changed: set[date], now: datetime
) -> list[points.Sample]:
    """The points the days agent wrote before the series: each day's status afresh (and
    the daily points of the ``changed`` days)."""
    samples: list[points.Sample] = []
    for day in each_day(min(changed), max(totals)):
        if day in changed:
            samples += points.day_samples(totals[day], REF)
        samples += points.status_samples(compute_status(totals, REF, day, now), REF)
    return samples


def test_the_days_agent_writes_each_days_status_afresh() -> None:
    """Six weeks over a year end sent in batches of a few days, out of order (one with
    days of both years, a late one for days long past, one sent again): each batch writes,
    from its earliest changed day on in each year, the points of each day's status computed
    afresh."""
    now = datetime(2026, 1, 20, 9, tzinfo=UTC)
    facts = simulated_facts(d("2025-12-10"), d("2026-01-20"), seed=2)
    chunks: dict[int, list[Fact]] = {}  # facts of 4 days each
    for fact in facts:
        chunks.setdefault((fact.day - d("2025-12-10")).days // 4, []).append(fact)
    # Chunk 5 ends 2025, 6 starts 2026; 1 comes late; 3 again changes nothing.
    batches = [(0,), (2,), (4,), (3,), (6, 5), (7,), (1,), (9,), (8,), (10,), (3,)]
    metrics, topic = FakeMetricSink(), Topic("day-facts")
    intake = Intake("", REF, MemoryOutbox(), PipelineCounters(), clock=lambda: now)
    book = DayBook(MemoryTable())
    agent = DaysAgent(
        intake, REF, book, metrics, clock=lambda: now, running_every_s=0, monotonic=lambda: 0.0
    )  # every batch writes its running points (no time passes: no write is long)
    counted: set[str] = set()
    for batch_no, indices in enumerate(batches):
        batch = [fact for index in indices for fact in chunks[index]]
        random.Random(batch_no).shuffle(batch)
        written = len(metrics.samples)
        asyncio.run(agent.handle([topic.event("facts", FACTS.dump_json(batch))]))
        new = [fact for fact in batch if fact.event_id not in counted]
        counted |= {fact.event_id for fact in batch}
        expected: list[points.Sample] = []
        for year in sorted({fact.day.year for fact in new}):
            changed = {fact.day for fact in new if fact.day.year == year}
            expected += day_by_day(book.year(year), changed, now)
        written_now = sorted(repr(s) for s in metrics.samples[written:])
        assert written_now == sorted(repr(s) for s in expected)
    # Days written again by the late batches.
    assert len(metrics.measurement(points.PROGRESS_DAILY)) > len(
        each_day(d("2025-12-10"), d("2026-01-20"))
    )


def test_the_running_points_wait_for_their_interval_and_cover_every_day_changed() -> None:
    """Within :data:`RUNNING_EVERY_S` of the last write a batch writes its daily points
    only; the timer's write then covers every day changed meanwhile, from the earliest one
    on. After a start or an assignment the first write covers every day in the book."""
    now = datetime(2026, 1, 20, 9, tzinfo=UTC)
    facts = simulated_facts(d("2026-01-01"), d("2026-01-20"), seed=3)
    early = [f for f in facts if f.day < d("2026-01-05")]
    middle = [f for f in facts if d("2026-01-05") <= f.day < d("2026-01-12")]
    late = [f for f in facts if f.day >= d("2026-01-12")]
    clock = [0.0]
    metrics, topic = FakeMetricSink(), Topic("day-facts")
    intake = Intake("", REF, MemoryOutbox(), PipelineCounters(), clock=lambda: now)
    book = DayBook(MemoryTable())
    agent = DaysAgent(intake, REF, book, metrics, clock=lambda: now, monotonic=lambda: clock[0])

    def handle(batch: list[Fact]) -> None:
        asyncio.run(agent.handle([topic.event("facts", FACTS.dump_json(batch))]))

    def running_days() -> list[date]:
        progress = metrics.measurement(points.PROGRESS_DAILY)
        metrics.samples.clear()
        return sorted({s.time.date() for s in progress})

    handle(late)  # the first write: at once
    assert running_days() == each_day(min(f.day for f in late), max(book.year(2026)))
    clock[0] = 1.0
    handle(middle)
    assert metrics.measurement(points.TRAIN_RUNS_DAILY)
    assert running_days() == []  # due: daily points only
    clock[0] = 2.0
    handle(early)
    assert running_days() == []
    asyncio.run(agent.write_running())  # the timer
    assert running_days() == each_day(min(f.day for f in early), max(book.year(2026)))
    asyncio.run(agent.write_running())
    assert running_days() == []  # nothing due
    agent.assigned()
    asyncio.run(agent.write_running())
    assert running_days() == each_day(min(book.year(2026)), max(book.year(2026)))


def test_a_long_write_of_running_points_spaces_the_next_ones() -> None:
    """A write of running points that took ``t`` seconds is followed by none, from a batch
    or the timer, for ``t / RUNNING_SHARE`` seconds (at least :data:`RUNNING_EVERY_S`)."""
    now = datetime(2026, 1, 20, 9, tzinfo=UTC)
    facts = simulated_facts(d("2026-01-01"), d("2026-01-20"), seed=3)
    first = [f for f in facts if f.day < d("2026-01-10")]
    second = [f for f in facts if f.day >= d("2026-01-10")]
    clock = [0.0]
    metrics, topic = FakeMetricSink(), Topic("day-facts")
    intake = Intake("", REF, MemoryOutbox(), PipelineCounters(), clock=lambda: now)

    agent = DaysAgent(
        intake, REF, DayBook(MemoryTable()), metrics, clock=lambda: now, monotonic=lambda: clock[0]
    )
    write = metrics.write

    async def slow_write(samples: Sequence[points.Sample]) -> None:
        if any(s.measurement == points.PROGRESS_DAILY for s in samples):
            clock[0] += 0.5  # the running points take 0.5 s to write
        await write(samples)

    metrics.write = slow_write  # type: ignore[method-assign]

    def running_written() -> bool:
        written = bool(metrics.measurement(points.PROGRESS_DAILY))
        metrics.samples.clear()
        return written

    asyncio.run(agent.handle([topic.event("facts", FACTS.dump_json(first))]))
    assert running_written()  # the first write, at 0 s, took 0.5 s: the next after 25 s
    clock[0] = 10.0
    asyncio.run(agent.handle([topic.event("facts", FACTS.dump_json(second))]))
    asyncio.run(agent.write_running())
    assert not running_written()
    clock[0] = 25.0
    asyncio.run(agent.write_running())
    assert running_written()
    assert 0.5 / RUNNING_SHARE == 25.0
