"""The sinks against real servers: what InfluxSink writes reads back exactly with InfluxQL,
a point InfluxDB refuses is handed over while the rest of its batch is stored, and writing
survives InfluxDB restarting mid-stream; AlertmanagerSink pages once per exception,
resolves, and waits for an Alertmanager that is not up yet."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboards import influx_reader
from entrypoints.embedded import free_port
from lugang.contract import ColdChainException, exception_id
from lugang.reference import default_reference
from streams.domain.counts import DayTotals, Fact
from streams.schema import points
from streams.schema.alerts import exception_alert
from streams.schema.points import Sample
from streams.sinks import AlertmanagerSink, InfluxSink
from tests.integration.influx import Influx
from tests.integration.servers import WebhookReceiver, run_script

REF = default_reference()
DAY = date(2026, 3, 15)
MIDNIGHT_NS = 1_773_504_000_000_000_000  # 2026-03-15 00:00 Asia/Shanghai
TOKEN = "lugang:lugang"  # noqa: S105 - the local servers run without auth


def influxql(url: str, database: str, query: str, token: str | None = None) -> list[dict[str, Any]]:
    """Rows of an InfluxQL query (times in epoch nanoseconds), one dict per row."""
    (series,) = influx_reader.query(url, database, query, token=token, epoch="ns", timeout=10)
    return influx_reader.rows(series)


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)


def outbound(event_id: str, teu: float = 0.0) -> Fact:
    """A train run on HHW-QZH, or with ``teu`` a reefer loaded onto one (28.5 t)."""
    return Fact(
        event_id=event_id,
        day=DAY,
        kind="CONTAINER_MOVE" if teu else "TRAIN_RUN",
        corridor="HHW-QZH",
        direction="OUTBOUND",
        service_group="RAIL_SEA",
        teu_category="RAIL_SEA",
        teu=teu,
        reefer=bool(teu),
        gross_weight_kg=28500.0 if teu else 0.0,
    )


def cold_chain_exception(started: datetime, closed: bool) -> ColdChainException:
    box = "MSKU9070323"
    return ColdChainException(
        exception_id=exception_id(box, "HIGH", started),
        kind="HIGH",
        equipment_reference=box,
        commodity="citrus",
        corridor="HHW-QZH",
        started_at=started,
        ended_at=started + timedelta(minutes=45) if closed else None,
        peak_deviation_c=2.8,
        duration_s=2700.0 if closed else None,
        status="CLOSED" if closed else "OPEN",
    )


def test_samples_read_back_exactly_and_rewrites_overwrite(
    any_influx: Influx, any_bucket: str
) -> None:
    """Day totals and an exception read back with their exact values; writing a grown day
    and the closed exception again leaves one point per series, with the newer values."""
    influx_url, influx_bucket = any_influx.url, any_bucket
    database = influx_bucket.split("/")[0]
    totals = DayTotals(day=DAY)
    totals.add(outbound("t1"))
    totals.add(outbound("c1", teu=2.0))
    started = datetime(2026, 3, 15, 0, 30, tzinfo=UTC)

    async def write(samples: list[Sample]) -> None:
        sink = InfluxSink(influx_url, any_influx.token or TOKEN, any_influx.org, influx_bucket)
        await sink.write(samples)
        await sink.close()
        assert sink.written == len(samples)

    def query(influxql_query: str) -> list[dict[str, Any]]:
        return influxql(influx_url, database, influxql_query, any_influx.token)

    asyncio.run(
        write(
            [
                *points.day_samples(totals, REF),
                points.exception_sample(cold_chain_exception(started, closed=False)),
            ]
        )
    )
    qzh = "SELECT runs FROM train_runs_daily WHERE corridor = 'HHW-QZH' AND direction = 'OUTBOUND'"
    assert query(qzh) == [{"time": MIDNIGHT_NS, "runs": 1}]
    assert query("SELECT count(runs) FROM train_runs_daily") == [
        {"time": 0, "count": 2 * len(REF.corridors)}
    ]
    assert query(
        "SELECT teu FROM teu_daily"
        " WHERE teu_category = 'RAIL_SEA' AND direction = 'OUTBOUND' AND laden = 'LADEN'"
    ) == [{"time": MIDNIGHT_NS, "teu": 2.0}]
    assert query("SELECT teu FROM reefer_teu_daily WHERE direction = 'OUTBOUND'") == [
        {"time": MIDNIGHT_NS, "teu": 2.0}
    ]
    assert query("SELECT * FROM tonnage_daily") == [{"time": MIDNIGHT_NS, "gross_weight_t": 28.5}]
    assert query(
        "SELECT served, outbound_runs FROM daily_service WHERE service_group = 'RAIL_SEA'"
    ) == [{"time": MIDNIGHT_NS, "served": 1, "outbound_runs": 1}]

    totals.add(outbound("t2"))
    asyncio.run(
        write(
            [
                *points.day_samples(totals, REF),
                points.exception_sample(cold_chain_exception(started, closed=True)),
            ]
        )
    )
    assert query(qzh) == [{"time": MIDNIGHT_NS, "runs": 2}]
    assert query(
        "SELECT open, status, ended_at_ms, duration_s, peak_deviation_c, kind, commodity"
        " FROM coldchain_exception"
    ) == [
        {
            "time": int(started.timestamp()) * 10**9,
            "open": 0,
            "status": "CLOSED",
            "ended_at_ms": int(started.timestamp() + 2700) * 1000,  # an integer: Grafana's unit
            "duration_s": 2700.0,
            "peak_deviation_c": 2.8,
            "kind": "HIGH",
            "commodity": "citrus",
        }
    ]


def test_a_refused_point_is_handed_over_and_the_rest_of_its_batch_stored(
    any_influx: Influx, any_bucket: str
) -> None:
    """A field whose type conflicts with earlier writes is refused by InfluxDB: the sink
    isolates that point, hands it to ``on_refused`` with InfluxDB's message, stores every
    other point of its batch and raises nothing."""
    influx_url, influx_bucket = any_influx.url, any_bucket
    at = datetime(2026, 3, 10, tzinfo=UTC)  # days 0-3 share a shard (a week, from Monday)
    conflicting = 13

    def sample(n: int) -> Sample:
        runs: float | str = "thirteen" if n == conflicting else float(n)
        return Sample("m", {}, {"runs": runs}, at + timedelta(minutes=n))

    recorded: list[tuple[str, str]] = []

    async def on_refused(line: str, reason: str) -> None:
        recorded.append((line, reason))

    async def scenario() -> InfluxSink:
        token, org = any_influx.token or TOKEN, any_influx.org
        sink = InfluxSink(influx_url, token, org, influx_bucket, on_refused=on_refused)
        await sink.write([sample(0)])
        await sink.flush()  # "runs" is a float from now on
        await sink.write([sample(n) for n in range(1, 40)])
        await sink.flush()
        await sink.close()
        return sink

    sink = asyncio.run(scenario())
    assert [line for line, _ in recorded] == [sample(conflicting).to_line()]
    reason = recorded[0][1]
    assert reason.startswith(("HTTP 400", "HTTP 422"))  # 1.x: 400; 2.x: 400 or 422
    assert "field type conflict" in reason
    assert (sink.written, sink.refused, sink.retries) == (39, 1, 0)
    database = influx_bucket.split("/")[0]
    rows = influxql(influx_url, database, "SELECT runs FROM m", any_influx.token)
    assert [(row["time"], row["runs"]) for row in rows] == [
        (int(sample(n).time.timestamp()) * 10**9, float(n)) for n in range(40) if n != conflicting
    ]


def test_every_point_arrives_when_influxdb_restarts_mid_stream(own_influx: dict[str, str]) -> None:
    """InfluxDB stops while samples are being written: the writer waits (nothing is
    dropped), the sink retries, and once InfluxDB is back every sample is there."""
    url = f"http://127.0.0.1:{own_influx['LUGANG_INFLUX_PORT']}"
    total = 2000
    start = datetime(2026, 3, 15, tzinfo=UTC)
    samples = [
        Sample("restart_test", {"run": "r"}, {"n": n}, start + timedelta(seconds=n))
        for n in range(total)
    ]

    async def write_all(sink: InfluxSink, stopped: asyncio.Event) -> None:
        for first in range(0, total, 10):
            if first == total // 2:
                await stopped.wait()  # the second half is written while InfluxDB is down
            await sink.write(samples[first : first + 10])
            await asyncio.sleep(0.002)

    async def scenario() -> InfluxSink:
        sink = InfluxSink(
            url, TOKEN, "-", "lugang/autogen", batch_size=50, flush_interval=0.05, max_backoff=0.5
        )
        stopped = asyncio.Event()
        writer = asyncio.create_task(write_all(sink, stopped))
        await until(lambda: sink.written >= total // 4, "a quarter of the samples written")
        await asyncio.to_thread(run_script, "stop-influxdb", own_influx)
        stopped.set()
        await until(lambda: sink.retries >= 3, "three retries while InfluxDB is down")
        assert not writer.done(), "the writer must wait while InfluxDB is down"
        await asyncio.to_thread(
            run_script, "start-influxdb", {**own_influx, "LUGANG_INFLUX_KEEP_DATA": "1"}
        )
        await asyncio.wait_for(writer, 60)
        await asyncio.wait_for(sink.close(), 60)
        return sink

    sink = asyncio.run(scenario())
    assert sink.written == total
    rows = influxql(url, "lugang", "SELECT n FROM restart_test")
    assert [(row["time"], row["n"]) for row in rows] == [
        (int(s.time.timestamp()) * 10**9, s.fields["n"]) for s in samples
    ]


def notification_statuses(receiver: WebhookReceiver, exception: str, last: str) -> list[str]:
    """Statuses of the notifications about ``exception`` up to the first ``last`` one."""
    statuses: list[str] = []
    while not statuses or statuses[-1] != last:
        try:
            body = receiver.notifications.get(timeout=30)
        except queue.Empty:
            raise AssertionError(f"no {last} notification for {exception} in 30 s") from None
        statuses += [
            alert["status"]
            for alert in body["alerts"]
            if alert["labels"].get("exception_id") == exception
        ]
    return statuses


def test_an_exception_pages_once_and_resolves(
    alertmanager_url: str, webhook: WebhookReceiver
) -> None:
    """The open exception fires; sent again (as the worker re-sends open ones) it does not
    page again; sent closed, it resolves."""
    started = datetime.now(UTC) - timedelta(hours=1)  # unique to this run, to the microsecond
    opened = cold_chain_exception(started, closed=False)

    async def scenario() -> AlertmanagerSink:
        sink = AlertmanagerSink(alertmanager_url)
        now = datetime.now(UTC)
        await sink.fire([exception_alert(opened, now, tz=UTC)])
        first = await asyncio.to_thread(
            notification_statuses, webhook, opened.exception_id, "firing"
        )
        assert first == ["firing"]
        await sink.fire([exception_alert(opened, now, tz=UTC)])
        # A negative can only be shown by waiting: two group intervals (1 s each) pass in
        # which Alertmanager would notify the re-sent alert if it did not deduplicate it.
        await asyncio.sleep(2.5)
        await sink.fire([exception_alert(cold_chain_exception(started, closed=True), now, tz=UTC)])
        rest = await asyncio.to_thread(
            notification_statuses, webhook, opened.exception_id, "resolved"
        )
        assert rest == ["resolved"]
        await sink.close()
        return sink

    sink = asyncio.run(scenario())
    assert (sink.sent, sink.retries) == (3, 0)


def test_alerts_wait_for_alertmanager_to_come_up(tmp_path: Path, webhook: WebhookReceiver) -> None:
    """Fired while no Alertmanager listens, the alert is retried until one starts, and
    then reaches the webhook."""
    port = free_port()
    env = {
        "LUGANG_WORK": str(tmp_path),
        "LUGANG_ALERTMANAGER_PORT": str(port),
        "LUGANG_ALERTMANAGER_WEBHOOK_URL": webhook.url,
    }
    opened = cold_chain_exception(datetime.now(UTC) - timedelta(hours=1), closed=False)

    async def scenario() -> AlertmanagerSink:
        sink = AlertmanagerSink(f"http://127.0.0.1:{port}", max_backoff=0.5)
        firing = asyncio.create_task(
            sink.fire([exception_alert(opened, datetime.now(UTC), tz=UTC)])
        )
        await until(lambda: sink.retries >= 2, "two retries while nothing listens")
        assert not firing.done()
        await asyncio.to_thread(run_script, "start-alertmanager", env)
        await asyncio.wait_for(firing, 30)
        await sink.close()
        return sink

    try:
        sink = asyncio.run(scenario())
        assert sink.sent == 1
        assert notification_statuses(webhook, opened.exception_id, "firing") == ["firing"]
    finally:
        run_script("stop-alertmanager", env)
