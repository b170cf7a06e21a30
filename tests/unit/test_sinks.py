"""The sinks' pure parts: alerts as Alertmanager takes them, backoff, and which sinks the
settings choose; and InfluxSink isolating the points InfluxDB refuses, against an
in-process stand-in for InfluxDB's write endpoint. Retries against real (and absent)
servers: tests/integration/test_sinks.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lugang.contract import ColdChainException, exception_id
from lugang.settings import Settings
from streams.schema.alerts import Alert, daily_service_alert, exception_alert
from streams.schema.points import Sample
from streams.sinks import (
    AlertmanagerSink,
    InfluxSink,
    NullAlertSink,
    NullMetricSink,
    build_sinks,
)
from streams.sinks.http import backoff

CST = timezone(timedelta(hours=8))
SHANGHAI = ZoneInfo("Asia/Shanghai")
BOX = "CAIU2000022"
STARTED = datetime(2026, 3, 15, 8, 30, tzinfo=CST)
NOW = datetime(2026, 3, 15, 9, 30, tzinfo=CST)


def cold_chain_exception(closed: bool, commodity: str | None = "citrus") -> ColdChainException:
    return ColdChainException(
        exception_id=exception_id(BOX, "HIGH", STARTED),
        kind="HIGH",
        equipment_reference=BOX,
        commodity=commodity,
        corridor="HHW-QZH",
        started_at=STARTED,
        ended_at=STARTED + timedelta(minutes=45) if closed else None,
        peak_deviation_c=2.8,
        duration_s=2700.0 if closed else None,
        status="CLOSED" if closed else "OPEN",
    )


def test_an_open_exception_fires_until_the_resend_window_ends() -> None:
    alert = exception_alert(cold_chain_exception(closed=False), NOW, tz=SHANGHAI)
    assert alert.labels == {
        "alertname": "ColdChainException",
        "kind": "HIGH",
        "corridor": "HHW-QZH",
        "commodity": "citrus",
        "container": BOX,
        "exception_id": f"{BOX}:HIGH:2026-03-15T00:30:00+00:00",
        "severity": "page",
    }
    assert alert.annotations["summary"] == (
        f"Reefer {BOX} (citrus) HIGH excursion since 2026-03-15 08:30 CST, "
        "peak 2.8 °C outside band / 冷链温度超限（偏高）"
    )
    assert (alert.starts_at, alert.ends_at) == (STARTED, NOW + timedelta(hours=1))


def test_an_exception_dated_ahead_of_the_clock_still_ends_after_it_starts() -> None:
    # A replayed recording can run ahead of the wall clock; Alertmanager refuses (HTTP 400)
    # an alert whose end comes before its start, and that refusal once stopped a worker.
    alert = exception_alert(
        cold_chain_exception(closed=False), STARTED - timedelta(days=30), tz=SHANGHAI
    )
    assert (alert.starts_at, alert.ends_at) == (STARTED, STARTED + timedelta(hours=1))


def test_a_closed_exception_resolves_with_the_same_labels() -> None:
    opened = exception_alert(cold_chain_exception(closed=False), NOW, tz=SHANGHAI)
    closed = exception_alert(cold_chain_exception(closed=True), NOW, tz=SHANGHAI)
    assert closed.labels == opened.labels
    assert closed.ends_at == STARTED + timedelta(minutes=45)
    assert "ended 2026-03-15 09:15 CST (45 min)" in closed.annotations["description"]


def test_an_unknown_commodity_is_labelled_unknown() -> None:
    alert = exception_alert(cold_chain_exception(closed=False, commodity=None), NOW, tz=UTC)
    assert alert.labels["commodity"] == "unknown"
    assert "(unknown) HIGH excursion since 2026-03-15 00:30 UTC" in alert.annotations["summary"]


def test_daily_service_alert_fires_while_warning_and_resolves_after() -> None:
    day = date(2026, 3, 15)
    firing = daily_service_alert("RAIL_SEA", day, warning=True, now=NOW)
    resolved = daily_service_alert("RAIL_SEA", day, warning=False, now=NOW)
    assert (
        firing.labels
        == resolved.labels
        == {
            "alertname": "DailyServiceAtRisk",
            "service_group": "RAIL_SEA",
            "day": "2026-03-15",
            "severity": "warning",
        }
    )
    assert firing.ends_at == NOW + timedelta(hours=1)
    assert resolved.ends_at == NOW


def test_alert_json_has_rfc3339_times() -> None:
    alert = Alert({"alertname": "A"}, {"summary": "s"}, STARTED, STARTED + timedelta(hours=1))
    assert alert.to_json() == {
        "labels": {"alertname": "A"},
        "annotations": {"summary": "s"},
        "startsAt": "2026-03-15T08:30:00+08:00",
        "endsAt": "2026-03-15T09:30:00+08:00",
    }
    assert "endsAt" not in Alert({"alertname": "A"}, {}, STARTED).to_json()
    with pytest.raises(ValueError, match="UTC offset"):
        Alert({"alertname": "A"}, {}, datetime(2026, 3, 15))  # noqa: DTZ001 - on purpose


@pytest.mark.parametrize("attempt", [1, 2, 5, 10, 10_000])
def test_backoff_doubles_up_to_the_cap_with_jitter(attempt: int) -> None:
    """Half of each step is random; a server down for days never overflows the delay."""
    step = min(2.0, 0.1 * 2 ** min(attempt - 1, 32))
    assert step / 2 <= backoff(attempt, cap=2.0) <= step


def test_build_sinks_chooses_null_sinks_when_unconfigured() -> None:
    metrics, alerts = build_sinks(Settings(influx_url=None, alertmanager_url=None))
    assert isinstance(metrics, NullMetricSink)
    assert isinstance(alerts, NullAlertSink)

    async def use() -> None:
        when = datetime(2026, 3, 15, tzinfo=UTC)
        await metrics.write([Sample("m", {}, {"v": 1}, when)])
        await metrics.close()
        await alerts.fire([Alert({"alertname": "A"}, {}, when)])
        await alerts.close()

    asyncio.run(use())


def test_build_sinks_needs_no_event_loop() -> None:
    """Sinks are built before faust starts its loop; connections come on first use."""
    settings = Settings(influx_url="http://127.0.0.1:1", alertmanager_url="http://127.0.0.1:2")
    metrics, alerts = build_sinks(settings)
    assert isinstance(metrics, InfluxSink)
    assert isinstance(alerts, AlertmanagerSink)


class FakeInflux:
    """InfluxDB's write endpoint, in process: it refuses (HTTP 400) every line of the
    measurement ``refused``. Like InfluxDB 1.x (``partial``) it keeps the other lines of a
    batch it refuses, like 2.x it keeps none. It first answers 503 ``unavailable`` times."""

    def __init__(self, partial: bool = True, unavailable: int = 0) -> None:
        self.partial = partial
        self.unavailable = unavailable
        self.stored: list[str] = []
        self.requests = 0

    async def write(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.unavailable:
            self.unavailable -= 1
            return web.Response(status=503, text="busy")
        lines = (await request.text()).split("\n")
        refused = [line for line in lines if line.startswith("refused ")]
        if self.partial or not refused:
            self.stored += [line for line in lines if line not in refused]
        if not refused:
            return web.Response(status=204)
        error = f"partial write: field type conflict: refused is string dropped={len(refused)}"
        return web.json_response({"error": error}, status=400)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Serve on a free loopback port; yields the base URL."""
        app = web.Application()
        app.router.add_post("/api/v2/write", self.write)
        async with TestServer(app, host="127.0.0.1") as server:
            yield str(server.make_url("")).rstrip("/")


WHEN = datetime(2026, 3, 15, tzinfo=UTC)


def good(n: int) -> Sample:
    return Sample("m", {}, {"v": n}, WHEN + timedelta(seconds=n))


def bad(n: int) -> Sample:
    return Sample("refused", {}, {"v": "text"}, WHEN + timedelta(seconds=n))


def deliver(
    influx: FakeInflux, samples: list[Sample], max_backoff: float = 30.0
) -> tuple[InfluxSink, list[tuple[str, str]]]:
    """Write ``samples`` through an InfluxSink, flush and close it; the sink and what it
    handed to ``on_refused``."""
    recorded: list[tuple[str, str]] = []

    async def on_refused(line: str, reason: str) -> None:
        recorded.append((line, reason))

    async def scenario() -> InfluxSink:
        async with influx.serving() as url:
            sink = InfluxSink(url, "t", "o", "b", max_backoff=max_backoff, on_refused=on_refused)
            await sink.write(samples)
            await sink.flush()
            await sink.close()
            return sink

    return asyncio.run(scenario()), recorded


@pytest.mark.parametrize("partial", [True, False], ids=["1.x keeps the rest", "2.x keeps none"])
def test_one_refused_line_among_many_is_recorded_and_the_rest_written(
    partial: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """5,000 lines, one refused: bisecting finds it in 2·log2(5000) requests after the
    first; every other line is stored, the refused one handed over with InfluxDB's reason."""
    samples = [bad(n) if n == 3210 else good(n) for n in range(5000)]
    influx = FakeInflux(partial=partial)
    with caplog.at_level(logging.WARNING, logger="streams.sinks.influx"):
        sink, recorded = deliver(influx, samples)
    refused_line = samples[3210].to_line()
    assert sorted(set(influx.stored)) == sorted(
        s.to_line() for s in samples if s.measurement == "m"
    )
    assert recorded == [(refused_line, recorded[0][1])]
    assert recorded[0][1].startswith("HTTP 400: ")
    assert "field type conflict" in recorded[0][1]
    assert (sink.written, sink.refused) == (4999, 1)
    assert influx.requests <= 1 + 2 * 13  # 13 = ceil(log2(5000))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert recorded[0][1] in errors[0].getMessage()
    assert refused_line in errors[0].getMessage()


def test_a_batch_refused_line_by_line_is_all_recorded() -> None:
    samples = [bad(n) for n in range(8)]
    influx = FakeInflux()
    sink, recorded = deliver(influx, samples)
    assert [line for line, _ in recorded] == [s.to_line() for s in samples]
    assert all("field type conflict" in reason for _, reason in recorded)
    assert (sink.written, sink.refused, influx.stored) == (0, 8, [])
    assert influx.requests == 2 * 8 - 1
    assert sink.errors == influx.requests  # every request was refused


def test_a_retryable_failure_then_success_delivers_everything() -> None:
    samples = [good(n) for n in range(10)]
    influx = FakeInflux(unavailable=2)
    sink, recorded = deliver(influx, samples, max_backoff=0.01)
    assert influx.stored == [s.to_line() for s in samples]
    assert (sink.written, sink.refused, sink.retries, recorded) == (10, 0, 2, [])


def test_a_refusal_met_by_the_background_flush_is_recorded_and_raises_nothing() -> None:
    """The background flush isolates the refused line; later calls go on undisturbed."""
    recorded: list[tuple[str, str]] = []

    async def on_refused(line: str, reason: str) -> None:
        recorded.append((line, reason))

    async def scenario(influx: FakeInflux) -> InfluxSink:
        async with influx.serving() as url:
            sink = InfluxSink(url, "t", "o", "b", flush_interval=0.01, on_refused=on_refused)
            await sink.write([good(0), bad(1), good(2)])
            for _ in range(500):
                if sink.refused:
                    break
                await asyncio.sleep(0.01)
            await sink.write([good(3)])
            await sink.close()
            return sink

    influx = FakeInflux(partial=False)
    sink = asyncio.run(scenario(influx))
    assert [line for line, _ in recorded] == [bad(1).to_line()]
    assert (sink.written, sink.refused) == (3, 1)
    assert set(influx.stored) == {good(n).to_line() for n in (0, 2, 3)}
