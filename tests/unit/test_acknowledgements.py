"""Issue 13, acknowledgement shown everywhere: the worker learns its pipeline's
acknowledgements in the minute round, expires one when its exception closes (or, missed,
when the round finds the exception no longer open), shows them in ``/status`` and writes
them to InfluxDB (``coldchain_ack``). Alertmanager is a fake (:class:`FakeAlertmanager`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboards.text_report import render_text
from lugang.contract import ColdChainException
from lugang.reference import default_reference
from streams.acknowledgements import Acknowledgements
from streams.agents.memory import MemoryTable
from streams.schema import points
from streams.schema.silences import Acknowledgement, silence_body
from streams.sinks.silences import AlertmanagerUnreachable
from streams.state import LiveGaps
from streams.timers import MinuteRound
from streams.web import status_body
from tests.fakes import FakeMetricSink
from tests.unit.test_ack import FakeAlertmanager
from tests.unit.test_agents import Harness, run
from tests.unit.test_paging import Paging, closed, opened

REF = default_reference()
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
HIGH = opened("HIGH")
LOW = opened("LOW", HIGH.started_at + timedelta(hours=1))
PIPELINE = "lugang"


class Alertmanager(FakeAlertmanager):
    """The fake, which can be down, and counts the silences it was asked to expire."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.expired: list[str] = []

    def all(self) -> list[dict[str, Any]]:
        if self.down:
            raise AlertmanagerUnreachable("Alertmanager at am.example:9093 is unreachable")
        return super().all()

    def expire(self, silence_id: str) -> None:
        self.expired.append(silence_id)
        super().expire(silence_id)

    def ack(self, exc: ColdChainException, pipeline: str = PIPELINE, by: str = "Li Wei") -> str:
        until = NOW + timedelta(hours=2)
        return self.create(silence_body(exc.exception_id, pipeline, by, "genset", NOW, until))


class Worker:
    """What the worker keeps of the acknowledgements, with its open exceptions."""

    def __init__(self, *opened: ColdChainException) -> None:
        self.alertmanager = Alertmanager()
        self.metrics = FakeMetricSink()
        self.open = {e.exception_id for e in opened}
        self.acks = Acknowledgements(
            self.alertmanager, PIPELINE, self.metrics, lambda: self.open, clock=lambda: NOW
        )

    def written(self) -> list[tuple[str, str, int]]:
        """(exception id, by, active) of each coldchain_ack point written, in order."""
        return [
            (s.tags["exception_id"], str(s.fields["by"]), int(s.fields["active"]))
            for s in self.metrics.measurement(points.COLDCHAIN_ACK)
        ]


async def _closing(acks: Acknowledgements, *ids: str) -> None:
    acks.closed(ids)
    while acks.expiring:
        await asyncio.sleep(0.01)


def test_the_round_learns_its_pipelines_acknowledgements_and_writes_each_once() -> None:
    w = Worker(HIGH, LOW)
    w.alertmanager.ack(HIGH)
    w.alertmanager.ack(LOW, pipeline="lugang-test")  # another pipeline's
    run(w.acks.refresh())
    ack = w.acks.of(HIGH.exception_id)
    assert ack is not None and ack.by == "Li Wei" and ack.comment == "genset"
    assert w.acks.of(LOW.exception_id) is None
    assert w.written() == [(HIGH.exception_id, "Li Wei", 1)]
    run(w.acks.refresh())
    assert len(w.written()) == 1  # nothing new: nothing written


def test_a_silence_of_no_exception_lugang_writes_is_left_out() -> None:
    """Made by hand with the ``lugang ack:`` comment: no point could be written for it."""
    w = Worker(HIGH)
    until = NOW + timedelta(hours=1)
    w.alertmanager.create(silence_body("not-an-id", PIPELINE, "li", "", NOW, until))
    run(w.acks.refresh())
    run(w.acks.refresh())
    assert w.acks.in_force == {} and w.written() == [] and w.alertmanager.expired == []


def test_alertmanager_down_is_a_warning_and_the_next_round_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = Worker(HIGH)
    w.alertmanager.ack(HIGH)
    w.alertmanager.down = True
    with caplog.at_level(logging.WARNING):
        run(w.acks.refresh())
    assert "acknowledgements not read (tried again next minute)" in caplog.text
    assert w.acks.of(HIGH.exception_id) is None
    w.alertmanager.down = False
    run(w.acks.refresh())
    assert w.acks.of(HIGH.exception_id) is not None


def test_a_close_expires_the_acknowledgement_once() -> None:
    w = Worker(HIGH, LOW)
    silence = w.alertmanager.ack(HIGH)
    w.alertmanager.ack(LOW)
    run(_closing(w.acks, HIGH.exception_id))
    assert w.alertmanager.expired == [silence]
    run(_closing(w.acks, HIGH.exception_id))  # a replay closes it again
    run(_closing(w.acks, "MSKU9070323:HIGH:2026-03-01T00:00:00+00:00"))  # no silence
    assert w.alertmanager.expired == [silence]


def test_a_close_while_alertmanager_is_down_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = Worker()
    w.alertmanager.ack(HIGH)
    w.alertmanager.down = True
    with caplog.at_level(logging.WARNING):
        run(_closing(w.acks, HIGH.exception_id))
    assert "acknowledgements of closed exceptions not expired" in caplog.text
    assert w.alertmanager.expired == []


def test_the_round_expires_the_acknowledgement_of_an_exception_closed_unseen() -> None:
    """Not open two rounds in a row (one round could read a table copy not yet current):
    expired, and written as ended; the open one's stays."""
    w = Worker(HIGH, LOW)
    high, low = w.alertmanager.ack(HIGH), w.alertmanager.ack(LOW)
    run(w.acks.refresh())
    w.open.discard(HIGH.exception_id)
    run(w.acks.refresh())
    assert w.alertmanager.expired == []
    run(w.acks.refresh())
    assert w.alertmanager.expired == [high]
    assert w.acks.of(HIGH.exception_id) is None
    assert w.acks.of(LOW.exception_id) is not None
    ended = w.metrics.measurement(points.COLDCHAIN_ACK)[-1]
    assert ended.tags["exception_id"] == HIGH.exception_id and ended.fields["active"] == 0
    assert low not in w.alertmanager.expired


def test_an_acknowledgement_that_ended_is_written_as_ended_once() -> None:
    """Ended by --for, or before the worker started: Alertmanager still lists it expired."""
    w = Worker(HIGH)
    silence = w.alertmanager.ack(HIGH)
    w.alertmanager.expire(silence)
    run(w.acks.refresh())
    run(w.acks.refresh())
    assert w.written() == [(HIGH.exception_id, "Li Wei", 0)]
    assert w.acks.of(HIGH.exception_id) is None


def test_a_new_acknowledgement_after_an_ended_one_is_written_last() -> None:
    w = Worker(HIGH)
    w.alertmanager.expire(w.alertmanager.ack(HIGH, by="Li Wei"))
    w.alertmanager.ack(HIGH, by="Wang Fang")
    run(w.acks.refresh())
    assert w.written() == [(HIGH.exception_id, "Li Wei", 0), (HIGH.exception_id, "Wang Fang", 1)]


def test_the_ack_point_shares_the_exceptions_series_time() -> None:
    ack = Acknowledgement("s1", HIGH.exception_id, PIPELINE, "Li Wei", NOW, NOW, "genset")
    sample = points.ack_sample(ack)
    assert sample.time == points.exception_sample(HIGH).time
    assert sample.tags == {
        "exception_id": HIGH.exception_id,
        "equipment_reference": HIGH.equipment_reference,
        "kind": "HIGH",
    }
    assert sample.fields == {
        "by": "Li Wei",
        "comment": "genset",
        "since_ms": int(NOW.timestamp() * 1000),
        "until_ms": int(NOW.timestamp() * 1000),
        "active": 1,
    }


def test_the_paging_agent_hands_the_closed_ids_on_after_resolving_them() -> None:
    p, handed = Paging(), list[list[str]]()
    p.agent.on_close = handed.append
    run(p.pager.page([HIGH, LOW]))
    assert handed == []
    run(p.pager.page([closed(HIGH)]))
    assert handed == [[HIGH.exception_id]]
    assert p.fired()[-1] == ("ColdChainException", False)  # resolved before it was handed
    run(p.pager.page([closed(HIGH)]))  # a replay: the table has closed it, nothing handed
    assert handed == [[HIGH.exception_id]]


def test_status_shows_each_open_exceptions_acknowledgement() -> None:
    w = Worker(HIGH, LOW)
    w.alertmanager.ack(HIGH)
    run(w.acks.refresh())
    table = MemoryTable()
    for exc in (HIGH, LOW):
        table.data[exc.exception_id.encode()] = exc.model_dump_json().encode()
    body = status_body({}, REF, Harness().book, table, LiveGaps(), acks=w.acks.of)
    shown = {e["exception_id"]: e["acknowledgement"] for e in body["open_exceptions"]}
    assert shown[LOW.exception_id] is None
    assert shown[HIGH.exception_id] == {
        "exception_id": HIGH.exception_id,
        "pipeline": PIPELINE,
        "by": "Li Wei",
        "since": NOW.isoformat(),
        "until": (NOW + timedelta(hours=2)).isoformat(),
        "comment": "genset",
        "silence_id": "s1",
    }
    lines = render_text(body, REF).splitlines()
    assert [line.endswith(", acknowledged by Li Wei") for line in lines[-2:]] == [True, False]


def test_only_the_worker_that_keeps_the_figures_reads_the_acknowledgements() -> None:
    w, h = Worker(HIGH), Harness()
    w.alertmanager.ack(HIGH)
    keeps = [False]
    minute = MinuteRound(h.book, h.movements.pager, h.metrics, REF, lambda: keeps[0], acks=w.acks)
    run(minute())
    assert w.acks.of(HIGH.exception_id) is None
    keeps[0] = True
    run(minute())
    assert w.acks.of(HIGH.exception_id) is not None
