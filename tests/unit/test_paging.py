"""The paging agent (issue 10 #1, #5): what Alertmanager is told of each exception, in
the order asked, a closed exception never again; and the points relay."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from lugang.contract import ColdChainException, exception_id
from lugang.reference import default_reference
from streams.agents.memory import MemoryTable
from streams.agents.paging import PagingAgent
from streams.agents.relay import PointsAgent, RelayedMetrics, series_key
from streams.pager import Pager
from streams.schema.pages import PageRequest
from streams.schema.points import Sample
from streams.state import LiveGaps
from tests.fakes import FakeAlertSink, LoopbackOutbox, MemoryOutbox, Topic
from tests.unit.test_agents import run

REF = default_reference()
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
START = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
BOX = "MSKU9070323"


def opened(kind: str = "HIGH", start: datetime = START) -> ColdChainException:
    return ColdChainException(
        exception_id=exception_id(BOX, kind, start),  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        equipment_reference=BOX,
        commodity="citrus",
        corridor="HHW-QZH",
        started_at=start,
        status="OPEN",
        peak_deviation_c=3.0,
    )


def closed(exc: ColdChainException, minutes: int = 45) -> ColdChainException:
    ended = exc.started_at + timedelta(minutes=minutes)
    return exc.model_copy(
        update={"status": "CLOSED", "ended_at": ended, "duration_s": minutes * 60}
    )


class Paging:
    """A paging agent behind a pager, on fakes, with a wall clock the test moves."""

    def __init__(self) -> None:
        self.alerts = FakeAlertSink()
        self.wall = [NOW]
        self.table = MemoryTable()
        self.agent = PagingAgent(
            self.alerts, self.table, REF, timedelta(minutes=3), clock=lambda: self.wall[0]
        )
        self.pager = Pager(LoopbackOutbox("pages", self.agent.handle), LiveGaps())
        self.raw = Topic("pages")

    def fired(self) -> list[tuple[str, bool]]:
        """(alertname, firing at the agent's clock) of every alert posted."""
        return [
            (a.labels["alertname"], a.ends_at is None or a.ends_at > self.wall[0])
            for a in self.alerts.fired
        ]


def test_an_open_exception_fires_then_resolves_and_is_resent_while_open() -> None:
    p, exc = Paging(), opened()
    run(p.pager.page([exc]))
    run(p.pager.resend([], date(2026, 3, 16)))
    run(p.pager.page([closed(exc)]))
    run(p.pager.resend([], date(2026, 3, 16)))
    assert p.fired() == [
        ("ColdChainException", True),
        ("ColdChainException", True),
        ("ColdChainException", False),
    ]


def test_a_request_that_comes_after_the_close_never_fires_it_again() -> None:
    """The Alertmanager outage of issue 10 #1: an old list of open alerts delivered after
    the closes fired three closed exceptions again."""
    p, exc = Paging(), opened()
    run(p.pager.page([exc]))
    run(p.pager.page([closed(exc)]))
    run(p.pager.page([exc]))  # a stale copy, e.g. from another worker
    run(p.pager.resend([], date(2026, 3, 16)))
    assert p.fired() == [("ColdChainException", True), ("ColdChainException", False)]


def test_an_exception_first_seen_closed_is_paged_once_as_such() -> None:
    """Issue 10 #5: opened and closed before its first page (a catch-up)."""
    p, exc = Paging(), opened()
    run(
        p.agent.handle(
            [p.raw.event("page", _request([exc])), p.raw.event("page", _request([closed(exc)]))]
        )
    )
    run(p.pager.page([closed(exc)]))  # the same close again (a batch redone)
    assert p.fired() == [("ColdChainExceptionSeenClosed", True)]
    [alert] = p.alerts.fired
    assert "Already over when seen" in alert.annotations["summary"]


def test_a_live_gap_is_resolved_once_the_silence_check_stops_finding_it() -> None:
    p, gap = Paging(), opened("TELEMETRY_GAP")
    run(p.pager.page([gap], live=True))
    p.wall[0] += timedelta(minutes=1)
    run(p.pager.page([gap], live=True))  # found again: no page of its own
    run(p.pager.resend([], date(2026, 3, 16)))
    p.wall[0] += timedelta(minutes=10)  # no check found it since
    run(p.pager.resend([], date(2026, 3, 16)))
    run(p.pager.page([gap], live=True))  # closed: never again
    assert p.fired() == [
        ("ColdChainException", True),
        ("ColdChainException", True),
        ("ColdChainException", False),
    ]


def test_the_resend_carries_the_daily_service_warnings() -> None:
    p = Paging()
    status = [_Daily("rail-sea", True)]
    run(p.pager.resend(status, date(2026, 3, 16)))  # type: ignore[arg-type]
    [alert] = p.alerts.fired
    assert alert.labels["alertname"] == "DailyServiceAtRisk"
    assert alert.labels["service_group"] == "rail-sea"


def test_a_firing_alerts_end_is_counted_from_when_it_is_sent() -> None:
    """An Alertmanager outage longer than the re-send window must not deliver a firing
    alert already ended."""
    p, exc = Paging(), opened()
    run(p.pager.page([exc]))
    [alert] = p.alerts.fired
    later = NOW + timedelta(hours=5)
    assert (alert.renewed(later).ends_at or NOW) > later


def test_the_relay_sends_lines_in_chunks_and_the_points_agent_writes_them() -> None:
    outbox = MemoryOutbox()
    relay = RelayedMetrics(outbox, chunk_bytes=200)
    samples = [
        Sample("m", {"box": BOX}, {"v": float(i)}, START + timedelta(minutes=i)) for i in range(10)
    ]
    run(relay.write(samples))
    run(relay.flush())
    assert len(outbox.sent) > 1 and outbox.undelivered == 0
    assert all(len(value) <= 200 for _, value in outbox.sent)

    written: list[str] = []
    dead = MemoryOutbox()
    lines = _Lines(written, refuse="v=3.0")
    agent = PointsAgent(lines, "points", dead, clock=lambda: NOW)
    lines.on_refused = agent.refused
    topic = Topic("points")
    run(agent.handle([topic.event(None, value) for _, value in outbox.sent]))
    assert written == [s.to_line() for s in samples if "v=3.0" not in s.to_line()]
    [letter] = dead.dead_letters()
    assert letter.reason.startswith("sink: InfluxDB refused the point: field type conflict")
    assert letter.topic == "points" and letter.source == "influxdb"


def test_a_series_travels_under_one_key_so_its_last_point_is_written_last() -> None:
    """Two partitions of the points topic may be written in either order: the points of one
    series (a day's total written 0 then 1, an exception OPEN then CLOSED) share a key, so
    they share a partition and keep the order they were sent in."""
    outbox = MemoryOutbox()
    relay = RelayedMetrics(outbox, chunk_bytes=120)
    day = datetime(2026, 3, 9, 16, tzinfo=UTC)
    totals = [
        Sample("train_runs_daily", {"corridor": c}, {"runs": n}, day)
        for n in (0, 1)
        for c in ("A", "B", "C")
    ]
    run(relay.write(totals))
    run(relay.flush())
    by_key: dict[bytes | None, list[str]] = {}
    for key, value in outbox.sent:
        by_key.setdefault(key, []).extend(value.decode().split("\n"))
    for sample in totals[:3]:
        [lines] = [v for k, v in by_key.items() if k == series_key(sample)]
        mine = [line for line in lines if line.startswith(sample.to_line().split(" ")[0] + " ")]
        assert [line.split(" ")[1] for line in mine] == ["runs=0i", "runs=1i"]


class _Daily:
    def __init__(self, group: str, warning: bool) -> None:
        self.group, self.warning = group, warning


class _Lines:
    """A line writer that refuses the lines containing ``refuse``."""

    def __init__(self, written: list[str], refuse: str) -> None:
        self.written, self.refuse = written, refuse
        self.on_refused: Callable[[str, str], Awaitable[None]] | None = None
        self._pending: list[str] = []

    retries = 0
    errors = 0

    async def write(self, samples: Sequence[Sample]) -> None:
        await self.write_lines([s.to_line() for s in samples])

    async def write_lines(self, lines: Sequence[str]) -> None:
        self._pending += lines

    async def close(self) -> None:
        await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        for line in pending:
            if self.refuse in line and self.on_refused is not None:
                await self.on_refused(line, "field type conflict")
            elif self.refuse not in line:
                self.written.append(line)


def _request(exceptions: list[ColdChainException]) -> bytes:
    return PageRequest(exceptions=exceptions).model_dump_json().encode()
