"""The sinks' pure parts: alerts as Alertmanager takes them, backoff, and which sinks the
settings choose. Retries against real (and absent) servers: tests/integration/test_sinks.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

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
