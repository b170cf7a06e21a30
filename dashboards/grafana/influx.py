"""The annotations of a time range, read from the points a worker wrote to InfluxDB: train
departures (``transit`` points, stamped at departure) and cold-chain exception openings
(``coldchain_exception`` points, stamped at the start)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final

from dashboards import influx_reader
from dashboards.grafana.annotations import (
    Annotation,
    departure_annotation,
    exception_annotation,
)
from dashboards.grafana.errors import TIMEOUT_S, GrafanaError, InfluxReadError
from streams.schema.points import COLDCHAIN_EXCEPTION, TRANSIT, UNKNOWN, local_midnight

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _rows(
    influx_url: str, database: str, query: str, token: str | None
) -> Iterator[tuple[dict[str, str], datetime]]:
    """(row, time) of each row an InfluxQL query returns (the row holds the tags)."""
    try:
        (series,) = influx_reader.query(
            influx_url, database, query, token=token, epoch="ms", timeout=TIMEOUT_S
        )
    except influx_reader.InfluxError as exc:
        raise InfluxReadError(str(exc)) from None
    for row in influx_reader.rows(series):
        yield row, _EPOCH + timedelta(milliseconds=int(row["time"]))


def annotations_from_influx(
    influx_url: str,
    database: str,
    start: datetime,
    end: datetime,
    token: str | None = None,
    dashboard_uid: str | None = None,
) -> list[Annotation]:
    """Train departures and cold-chain exception openings from ``start`` (inclusive) to
    ``end`` (exclusive), read with InfluxQL over HTTP; ordered by time.

    Raises:
        InfluxReadError: InfluxDB unreachable, or it refused the query.
    """
    # Only our own measurement names and formatted times go into the queries.
    first, after = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    when = f"time >= '{first}' AND time < '{after}'"
    annotations = [
        departure_annotation(tags["train_id"], tags["corridor"], at, dashboard_uid)
        for tags, at in _rows(
            influx_url,
            database,
            f'SELECT "hours" FROM "{TRANSIT}" WHERE {when} GROUP BY "corridor", "train_id"',  # noqa: S608
            token,
        )
    ]
    annotations += [
        exception_annotation(
            tags["equipment_reference"],
            tags["kind"],
            tags.get("commodity", UNKNOWN),
            tags.get("corridor", UNKNOWN),
            at,
            dashboard_uid,
        )
        for tags, at in _rows(
            influx_url,
            database,
            f'SELECT "status" FROM "{COLDCHAIN_EXCEPTION}" WHERE {when} GROUP BY *',  # noqa: S608
            token,
        )
    ]
    return sorted(annotations)


def local_day_range(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """From the start of local day ``first`` to the start of the day after ``last``."""
    if last < first:
        raise GrafanaError(f"--to {last} is before --from {first}")
    return local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)
