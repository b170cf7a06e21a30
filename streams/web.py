"""The worker's web pages: ``/status`` (figures against the plan, open exceptions; 503
until the worker is ready), ``/ready`` (whether it has recovered its tables and joined its
group) and ``/health`` (whether every agent runs). ``/metrics`` is ``streams.metrics``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import orjson

from lugang.reference import Reference
from streams.agents.ports import Table
from streams.domain.dwell import Stay, longest
from streams.domain.projection import project_year
from streams.domain.status import compute_status
from streams.domain.transit import KnownTrain, runs_under_way
from streams.schema.silences import Acknowledgement
from streams.state import AgentStates, DayBook, LiveGaps

FORWARDED: Final = "X-Lugang-Asked-By"
"""Header of a ``/status`` request one worker forwards to the worker that keeps the figures
(answered there, never forwarded again)."""


def figures_keeper(
    distribution: Mapping[str, Mapping[str, Sequence[int]]], topic: str
) -> str | None:
    """The URL of the worker that reads the day-facts ``topic`` (one partition: the days
    agent there keeps the figures), from faust's assignment metadata (worker URL -> topic ->
    partitions); None while no worker does."""
    for url, topics in distribution.items():
        if 0 in topics.get(topic, ()):
            return url
    return None


def status_body(
    query: dict[str, str],
    reference: Reference,
    book: DayBook,
    table: Table,
    live_gaps: LiveGaps,
    trains: Callable[[], Iterable[KnownTrain]] = tuple,
    dwell: Table | None = None,
    acks: Callable[[str], Acknowledgement | None] = lambda exception_id: None,
) -> dict[str, Any]:
    """The ``/status`` answer: figures as of ``?date=YYYY-MM-DD`` (default: today in the
    port's time zone); ``?now=`` (RFC 3339) sets the clock of the 天天班 warning and of the
    trains in transit, e.g. a simulated one; ``table``: the open-exceptions table;
    ``trains``: what the trains agent knows (:class:`streams.agents.trains.TrainsKnown`);
    ``projection``: the year-end projection (:func:`streams.domain.projection.project_year`,
    with last year's season where the book holds last year; null before its first weeks);
    ``dwell``: what dwell keeps of each container (:mod:`streams.domain.dwell`), whose open
    visits dwelling longest at the clock (ten) are ``dwell_longest``; ``acks``: the
    acknowledgement in force of an exception (:mod:`streams.acknowledgements`), each open
    exception's ``acknowledgement`` (null: none)."""
    clock = query.get("now")
    now = datetime.fromisoformat(clock) if clock else datetime.now(UTC)
    as_of = query.get("date")
    day = date.fromisoformat(as_of) if as_of else reference.home.today(now)
    days = book.year(day.year)  # one pass over the days table for both uses below
    status = compute_status(days, reference, day, now)
    under_way = runs_under_way(trains(), reference, now)
    in_transit = [run for run in under_way if run.in_transit]
    status = status.model_copy(update={"trains_in_transit": in_transit})
    body: dict[str, Any] = orjson.loads(status.model_dump_json())
    target = reference.targets.get(day.year)
    projection = project_year(days, day, target, book.year(day.year - 1))
    body["projection"] = None if projection is None else orjson.loads(projection.model_dump_json())
    body["open_exceptions"] = [
        {**exception, "acknowledgement": None if ack is None else ack.to_json()}
        for exception_id, exception in open_exceptions(table, live_gaps).items()
        for ack in [acks(exception_id)]
    ]
    stays = () if dwell is None else map(Stay.model_validate_json, dwell.values())
    body["dwell_longest"] = longest((s.visit for s in stays if s.visit is not None), now)
    return body


def open_exceptions(table: Table, live_gaps: LiveGaps) -> dict[str, dict[str, Any]]:
    """The cold-chain exceptions open as this worker sees them, by id, as JSON objects:
    those of the open-exceptions ``table``, and the TELEMETRY_GAPs its own live silence
    check opened (kept apart: the check finds them again every time), which replace a
    table entry of the same id."""
    opened = {e["exception_id"]: e for e in map(orjson.loads, table.values())}
    opened.update((e.exception_id, orjson.loads(e.model_dump_json())) for e in live_gaps.all())
    return opened


def health_body(agents: AgentStates) -> tuple[int, dict[str, Any]]:
    """The ``/health`` answer and its HTTP status: 200 while every agent runs, else 503."""
    states = {
        name: {"running": state.running, "reason": state.reason}
        for name, state in agents.all().items()
    }
    return (200 if agents.healthy else 503), {"healthy": agents.healthy, "agents": states}


def ready_body(reason: str | None) -> dict[str, Any]:
    """The ``/ready`` answer (and ``/status``'s while not ready): why the worker cannot
    answer for its tables yet, if it cannot."""
    return {"ready": True} if reason is None else {"ready": False, "reason": reason}
