"""The report's figures: a worker's ``/status`` and the InfluxDB points of the period.

:func:`report_data` reads them into :class:`ReportData`, the arguments of
:func:`dashboards.report.page.render_html`: the figures come from a worker's ``/status``
(:func:`read_status`) and, for the daily series, transit times and exceptions, from the
InfluxDB points the worker writes (:func:`read_influx`, through
:mod:`dashboards.influx_reader`). Without InfluxDB the page still has the status figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from dashboards import influx_reader
from lugang.errors import LugangError
from lugang.net import short_reason, unreachable, where
from lugang.reference import Reference
from streams.domain.counts import DayTotals
from streams.domain.periods import PERIOD_NAMES, PeriodName, calendar_period
from streams.schema.points import recorded_ack

Row = dict[str, Any]


class ReportError(LugangError):
    """The report's data cannot be read; the message says what to do."""


def period_bounds(as_of: date, period: PeriodName) -> tuple[date, date]:
    """First and last local day of the period to date that ends on ``as_of``."""
    return calendar_period(period, as_of).first, as_of


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def empty_day() -> Row:
    return {
        "runs": 0,
        "outbound_runs_by_group": {},
        "teu": 0.0,
        "teu_by_category": {},
        "reefer_teu": 0.0,
    }


def daily_series(days: Mapping[date, DayTotals]) -> dict[str, Row]:
    """The ``daily`` argument of :func:`render_html` from day totals (ISO day -> figures:
    ``runs``, ``outbound_runs_by_group``, ``teu``, ``teu_by_category``, ``reefer_teu``)."""
    series: dict[str, Row] = {}
    for day, totals in days.items():
        row = empty_day()
        row["runs"] = sum(totals.runs.values())
        row["outbound_runs_by_group"] = dict(totals.outbound_runs_by_group)
        for key, teu in totals.teu.items():
            category = key.split("/")[0]
            row["teu_by_category"][category] = row["teu_by_category"].get(category, 0.0) + teu
        row["teu"] = float(sum(totals.teu.values()))
        row["reefer_teu"] = float(sum(totals.reefer_teu.values()))
        series[day.isoformat()] = row
    return series


STATUS_TIMEOUT_S: Final = 10.0


def read_status(worker_url: str, as_of: date, option: str = "--url") -> dict[str, Any]:
    """A worker's ``/status`` for the local day ``as_of`` (``option``: the command's option
    that gives ``worker_url``, which the errors advise setting).

    Raises:
        ReportError: the worker cannot be reached or answers with an error.
    """
    url = f"{worker_url.rstrip('/')}/status"
    try:
        response = requests.get(url, params={"date": as_of.isoformat()}, timeout=STATUS_TIMEOUT_S)
    except requests.RequestException as exc:
        reason = short_reason(exc, STATUS_TIMEOUT_S, isinstance(exc, requests.Timeout))
        fix = f"start one (lugang worker) or set {option}"
        raise ReportError(unreachable("the worker", where(worker_url), reason, fix)) from None
    try:
        if response.status_code == 503:
            reason = response.json().get("reason", "not ready")
            raise ReportError(f"the worker at {worker_url} is not ready yet ({reason}); try again")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError):
        raise ReportError(
            f"{where(url)} answered {response.status_code}, not a worker's figures: "
            f"is {option} a worker's web address?"
        ) from None
    return body


def _known(value: Any) -> Any:
    return None if value in (None, "", "unknown") else value


_QUERIES: Final = (
    ('"runs" FROM "train_runs_daily"', '"corridor", "direction", "service_group"'),
    ('"teu" FROM "teu_daily"', '"teu_category", "direction", "laden"'),
    ('"teu" FROM "reefer_teu_daily"', '"direction"'),
    ('"hours", "benchmark_h", "within_benchmark" FROM "transit"', '"corridor", "train_id"'),
    (
        '"status", "duration_s", "peak_deviation_c" FROM "coldchain_exception"',
        '"kind", "equipment_reference", "commodity", "corridor", "exception_id"',
    ),
    ('"by", "since_ms", "until_ms", "active" FROM "coldchain_ack"', '"exception_id"'),
)
"""(fields and measurement, tags) of the report's InfluxQL queries (schema: points.py)."""


def _local(seconds: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(seconds, tz)


def _daily(runs: list[Row], teu: list[Row], reefer: list[Row], tz: tzinfo) -> dict[str, Row]:
    """ISO local day -> the day's figures, from the daily points."""
    daily: dict[str, Row] = {}

    def day_of(row: Row) -> Row:
        return daily.setdefault(_local(row["time"], tz).date().isoformat(), empty_day())

    for row in runs:
        day, count = day_of(row), int(row["runs"] or 0)
        day["runs"] += count
        if row.get("direction") == "OUTBOUND":
            groups = day["outbound_runs_by_group"]
            groups[row["service_group"]] = groups.get(row["service_group"], 0) + count
    for row in teu:
        day, amount = day_of(row), float(row["teu"] or 0.0)
        day["teu"] += amount
        categories = day["teu_by_category"]
        categories[row["teu_category"]] = categories.get(row["teu_category"], 0.0) + amount
    for row in reefer:
        day_of(row)["reefer_teu"] += float(row["teu"] or 0.0)
    return daily


def _transits(transits: list[Row], tz: tzinfo) -> list[Row]:
    return [
        {
            "train_id": row["train_id"],
            "corridor": row["corridor"],
            "departed_at": _local(row["time"], tz).isoformat(),
            "hours": float(row["hours"]),
            "benchmark_h": row.get("benchmark_h"),
            "within_benchmark": None
            if row.get("within_benchmark") is None
            else bool(row["within_benchmark"]),
        }
        for row in sorted(transits, key=lambda r: (r["time"], r["train_id"]))
        if row.get("hours") is not None
    ]


def _exceptions(exceptions: list[Row], acks: list[Row], tz: tzinfo) -> list[Row]:
    """The exceptions, each with its ``acknowledgement`` (``by``, ``active``) or None."""
    acknowledged = {
        ack.exception_id: {"by": ack.by, "active": ack.active}
        for row in acks
        if (ack := recorded_ack(row)) is not None
    }
    return [
        {
            "exception_id": row["exception_id"],
            "kind": row["kind"],
            "equipment_reference": row["equipment_reference"],
            "commodity": _known(row.get("commodity")),
            "corridor": _known(row.get("corridor")),
            "started_at": _local(row["time"], tz).isoformat(),
            "status": row.get("status") or "OPEN",
            "duration_s": row.get("duration_s"),
            "peak_deviation_c": row.get("peak_deviation_c"),
            "acknowledgement": acknowledged.get(row["exception_id"]),
        }
        for row in sorted(exceptions, key=lambda r: (r["time"], r["exception_id"]))
    ]


def _utc_midnight(day: date, tz: tzinfo) -> str:
    moment = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_influx(
    influx_url: str,
    database: str,
    start: date,
    end: date,
    tz: tzinfo,
    retention: str | None = None,
    token: str | None = None,
) -> tuple[dict[str, Row], list[Row], list[Row]]:
    """Daily figures, transit times and cold-chain exceptions (each with who acknowledged
    it, ``coldchain_ack``) of the local days ``start`` to ``end`` from the points a worker
    wrote (streams/schema/points.py).

    Returns:
        ``(daily, transit, exceptions)`` as :func:`render_html` takes them.

    Raises:
        ReportError: InfluxDB cannot be reached or refuses a query (unknown database, ...).
    """
    where = (
        f"time >= '{_utc_midnight(start, tz)}' AND time < '{_utc_midnight(end + timedelta(1), tz)}'"
    )
    # Only the two timestamps formatted above are interpolated: no text from outside.
    statements = [f"SELECT {fields} WHERE {where} GROUP BY {tags}" for fields, tags in _QUERIES]
    try:
        answers = influx_reader.query(
            influx_url, database, statements, retention=retention, token=token, epoch="s"
        )
    except influx_reader.InfluxError as exc:
        raise ReportError(str(exc)) from None
    runs, teu, reefer, transits, exceptions, acks = (influx_reader.rows(a) for a in answers)
    return (
        _daily(runs, teu, reefer, tz),
        _transits(transits, tz),
        _exceptions(exceptions, acks, tz),
    )


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows; the arguments of :func:`render_html`."""

    status: dict[str, Any]
    daily: dict[str, Row] | None
    transit: list[Row] | None
    exceptions: list[Row] | None
    period: PeriodName
    source: str


def _host(url: str) -> str:
    """``host:port`` of a URL: the page names its sources without links."""
    return urlsplit(url).netloc or url


def report_data(
    worker_url: str,
    influx_url: str | None,
    database: str,
    as_of: date,
    period: PeriodName,
    *,
    retention: str | None = None,
    token: str | None = None,
    reference: Reference,
) -> ReportData:
    """Read the report's figures: the worker's ``/status?date=as_of`` and, when
    ``influx_url`` is given, the period's daily points, transit times and exceptions.
    Exceptions still open on the worker (``/status``) that started in the period are
    added to those InfluxDB holds.

    Raises:
        ReportError: the worker or InfluxDB cannot be read.
    """
    if period not in PERIOD_NAMES:
        raise ReportError(f"period must be one of {', '.join(PERIOD_NAMES)}, not {period!r}")
    status = read_status(worker_url, as_of)
    source = f"worker {_host(worker_url)} /status"
    if influx_url is None:
        return ReportData(status, None, None, None, period, source + "; no InfluxDB given")
    start, end = period_bounds(as_of, period)
    tz = reference.home.tz
    daily, transit, found = read_influx(influx_url, database, start, end, tz, retention, token)
    merged = {e["exception_id"]: e for e in found}
    for opened in status.get("open_exceptions", []):
        started = datetime.fromisoformat(opened["started_at"]).astimezone(tz).date()
        if start <= started <= end:
            merged.setdefault(opened["exception_id"], opened)
    exceptions = sorted(merged.values(), key=lambda e: (parse_instant(e["started_at"]), e["kind"]))
    source += f"; InfluxDB {_host(influx_url)} database {database}"
    return ReportData(status, daily, transit, exceptions, period, source)


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
