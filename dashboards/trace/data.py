"""The trace of one container read from InfluxDB (InfluxQL over
:mod:`dashboards.influx_reader`), joined with its acknowledgements.

:func:`read_trace` runs the queries; :func:`build_trace` makes the :class:`Trace` from
their rows and is pure. Measurements and fields: README "InfluxDB schema"
(:mod:`streams.schema.points`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final

from dashboards import influx_reader
from dashboards.influx_reader import Row
from dashboards.trace.model import (
    AcksState,
    Move,
    Reading,
    Trace,
    TracedException,
    Train,
)
from dashboards.trace.trips import gaps, leave_times, power_off, run_of, split_trips, trip
from lugang.errors import LugangError
from lugang.reference import Reference
from streams.schema.points import (
    COLDCHAIN_ACK,
    COLDCHAIN_EXCEPTION,
    CONTAINER_MOVE,
    REEFER_READING,
    TRAIN_DEPARTURE,
    TRAIN_IN_TRANSIT,
    TRANSIT,
    UNKNOWN,
    recorded_ack,
)
from streams.schema.silences import Acknowledgement

TRAIN_LOOKBACK: Final = timedelta(days=30)
"""How long before the trace's window a train its moves name may have departed (an inbound
run discharged at the start of the window)."""


class TraceError(LugangError):
    """No trace to show (nothing of the container in the window)."""


_BOX_QUERIES: Final = (
    (
        CONTAINER_MOVE,
        '"event_id", "train_id", "corridor", "commodity", "gross_weight_kg"',
        '"event_type", "direction", "location"',
    ),
    (
        REEFER_READING,
        '"supply_air_c", "return_air_c", "setpoint_c", "power_on", "band_low_c", "band_high_c"',
        '"commodity"',
    ),
    (
        COLDCHAIN_EXCEPTION,
        '"open", "status", "peak_deviation_c", "ended_at_ms", "duration_s"',
        '"kind", "exception_id"',
    ),
    (COLDCHAIN_ACK, '"by", "comment", "since_ms", "until_ms", "active"', '"exception_id"'),
)
"""(measurement, fields, tags) of the container's own points."""

_TRAIN_QUERIES: Final = (
    (TRAIN_DEPARTURE, '"runs"', '"corridor", "train_id"'),
    (TRANSIT, '"hours", "benchmark_h", "within_benchmark"', '"corridor", "train_id"'),
    (
        TRAIN_IN_TRANSIT,
        '"in_transit", "elapsed_h", "benchmark_h"',
        '"corridor", "direction", "train_id"',
    ),
)
"""(measurement, fields, tags) of the runs of the trains the moves name."""


def window(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local days ``start`` to ``end`` (both included) as [from, to) in ``tz``."""
    return (
        datetime.combine(start, time(), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=tz),
    )


def literal(value: str) -> str:
    """An InfluxQL string literal (single quotes, escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _between(start: datetime, end: datetime) -> str:
    return f"time >= '{_utc(start)}' AND time < '{_utc(end)}'"


def _select(query: tuple[str, str, str], where: str) -> str:
    name, fields, tags = query
    # Only the schema's names, times and values quoted by literal() are interpolated.
    return f'SELECT {fields} FROM "{name}" WHERE {where} GROUP BY {tags}'  # noqa: S608


def box_statements(equipment: str, start: datetime, end: datetime) -> list[str]:
    """The InfluxQL statements of the container's moves, readings, exceptions and the
    acknowledgements the worker recorded (stamped, like the exceptions, at their start)."""
    where = f'"equipment_reference" = {literal(equipment)} AND {_between(start, end)}'
    return [_select(query, where) for query in _BOX_QUERIES]


def train_statements(train_ids: Iterable[str], start: datetime, end: datetime) -> list[str]:
    """The InfluxQL statements of the runs of these trains departed in [start, end)."""
    named = " OR ".join(f'"train_id" = {literal(t)}' for t in sorted(set(train_ids)))
    where = f"({named}) AND {_between(start, end)}"
    return [_select(query, where) for query in _TRAIN_QUERIES]


def _at(ms: Any, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz)


def _text(value: Any) -> str | None:
    return None if value in (None, "", UNKNOWN) else str(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def moves_of(rows: Iterable[Row], tz: tzinfo) -> list[Move]:
    """``container_move`` rows (epoch ms) as moves, in time order."""
    moves = [
        Move(
            time=_at(row["time"], tz),
            event_type=str(row["event_type"]),
            location=str(row["location"]),
            direction=_text(row.get("direction")),
            train_id=_text(row.get("train_id")),
            corridor=_text(row.get("corridor")),
            commodity=_text(row.get("commodity")),
            gross_weight_kg=_number(row.get("gross_weight_kg")),
            event_id=_text(row.get("event_id")),
        )
        for row in rows
    ]
    return sorted(moves, key=lambda m: (m.time, m.event_type))


def readings_of(rows: Iterable[Row], tz: tzinfo) -> list[Reading]:
    """``reefer_reading`` rows (epoch ms) as readings, in time order."""
    readings = [
        Reading(
            time=_at(row["time"], tz),
            supply_air_c=float(row["supply_air_c"]),
            return_air_c=_number(row.get("return_air_c")),
            setpoint_c=_number(row.get("setpoint_c")),
            power_on=bool(row.get("power_on", 1)),
            commodity=_text(row.get("commodity")),
            band_low_c=_number(row.get("band_low_c")),
            band_high_c=_number(row.get("band_high_c")),
        )
        for row in rows
        if row.get("supply_air_c") is not None
    ]
    return sorted(readings, key=lambda r: r.time)


def _open(row: Row) -> bool:
    flag = row.get("open")
    return bool(flag) if flag is not None else row.get("status") != "CLOSED"


def acknowledgements_of(rows: Iterable[Row]) -> list[Acknowledgement]:
    """``coldchain_ack`` rows: the acknowledgements the worker learnt, in force or ended, as
    it last wrote them."""
    return [ack for row in rows if (ack := recorded_ack(row)) is not None]


def exceptions_of(
    rows: Iterable[Row], tz: tzinfo, acks: Sequence[Acknowledgement] = ()
) -> list[TracedException]:
    """``coldchain_exception`` rows (epoch ms) as exceptions in order of start, each with
    the acknowledgement of its id, if one is in ``acks``."""
    by_id = {a.exception_id: a for a in acks}
    found = [
        TracedException(
            exception_id=str(row["exception_id"]),
            kind=str(row["kind"]),
            start=_at(row["time"], tz),
            end=None if row.get("ended_at_ms") is None else _at(row["ended_at_ms"], tz),
            open=_open(row),
            peak_deviation_c=_number(row.get("peak_deviation_c")),
            duration_s=_number(row.get("duration_s")),
            acknowledgement=by_id.get(str(row["exception_id"])),
        )
        for row in rows
    ]
    return sorted(found, key=lambda e: (e.start, e.kind))


def trains_of(
    departures: Iterable[Row], transits: Iterable[Row], in_transit: Iterable[Row], tz: tzinfo
) -> list[Train]:
    """The runs, by train id and departure, from the three train measurements (epoch ms):
    the transit time from ``transit``, else from ``train_in_transit`` once arrived."""
    runs: dict[tuple[str, int], dict[str, Any]] = {}

    def run(row: Row) -> dict[str, Any]:
        key = (str(row["train_id"]), int(row["time"]))
        return runs.setdefault(key, {"corridor": _text(row.get("corridor"))})

    for row in departures:
        run(row)["direction"] = "OUTBOUND"
    for row in in_transit:
        found = run(row)
        found["direction"] = _text(row.get("direction"))
        found.setdefault("benchmark_h", _number(row.get("benchmark_h")))
        if row.get("in_transit") == 0 and row.get("elapsed_h") is not None:
            found.setdefault("transit_h", float(row["elapsed_h"]))
    for row in transits:
        found = run(row)
        found["transit_h"] = _number(row.get("hours"))
        found["benchmark_h"] = _number(row.get("benchmark_h")) or found.get("benchmark_h")
        found["within_benchmark"] = _flag(row.get("within_benchmark"))
    trains = []
    for (train_id, ms), found in runs.items():
        hours, benchmark = found.get("transit_h"), found.get("benchmark_h")
        within = found.get("within_benchmark")
        if within is None and hours is not None and benchmark is not None:
            within = hours <= benchmark
        trains.append(
            Train(
                train_id=train_id,
                corridor=found["corridor"],
                direction=found.get("direction"),
                departed=_at(ms, tz),
                transit_h=hours,
                benchmark_h=benchmark,
                within_benchmark=within,
            )
        )
    return sorted(trains, key=lambda t: (t.departed, t.train_id))


def build_trace(
    equipment: str,
    start: datetime,
    end: datetime,
    reference: Reference,
    moves: list[Move],
    trains: list[Train],
    readings: list[Reading],
    exceptions: list[TracedException],
    acknowledgements: AcksState,
    source: str = "",
) -> Trace:
    """The trace: the runs the moves ride (see :func:`run_of`), the readings split into
    trips by the watch rule, their gaps, power-off periods and summaries."""
    ridden = {id(run): run for m in moves if m.train_id for run in [run_of(m, trains)] if run}
    runs = sorted(ridden.values(), key=lambda t: (t.departed, t.train_id))
    leaves = leave_times(moves, runs, reference.home.location)
    segments = split_trips(readings, leaves)
    threshold = timedelta(minutes=reference.exception_rules.telemetry_gap_minutes)
    trips = [found for s in segments if (found := trip(s, reference)) is not None]
    return Trace(
        equipment_reference=equipment,
        start=start,
        end=end,
        tz=reference.home.tz,
        moves=moves,
        trains=runs,
        readings=readings,
        gaps=[g for s in segments for g in gaps(s, threshold)],
        power_off=[p for s in segments for p in power_off(s)],
        exceptions=exceptions,
        trips=trips,
        acknowledgements=acknowledgements,
        source=source,
    )


def read_trace(
    influx_url: str,
    database: str,
    equipment: str,
    start: datetime,
    end: datetime,
    reference: Reference,
    acks: Sequence[Acknowledgement] | None,
    *,
    retention: str | None = None,
    token: str | None = None,
    source: str = "",
) -> Trace:
    """The trace of ``equipment`` in [start, end) from InfluxDB; ``acks``: the
    acknowledgements in force (None: Alertmanager not asked), besides those the worker
    recorded in InfluxDB (``coldchain_ack``).

    Raises:
        InfluxError: InfluxDB cannot be read (one line).
        TraceError: nothing of the container in the window.
    """
    tz = reference.home.tz
    answers = influx_reader.query(
        influx_url,
        database,
        box_statements(equipment, start, end),
        retention=retention,
        token=token,
        epoch="ms",
    )
    move_rows, reading_rows, exception_rows, ack_rows = (influx_reader.rows(a) for a in answers)
    moves = moves_of(move_rows, tz)
    readings = readings_of(reading_rows, tz)
    # Alertmanager's word on an acknowledgement in force is the newest; InfluxDB keeps the
    # ended ones (the worker expires an acknowledgement when its exception closes).
    known = [*acknowledgements_of(ack_rows), *(acks or ())]
    exceptions = exceptions_of(exception_rows, tz, known)
    if not (moves or readings or exceptions):
        raise TraceError(
            f"no moves, readings or exceptions of {equipment} from {start:%Y-%m-%d} to "
            f"{end - timedelta(days=1):%Y-%m-%d} in InfluxDB database {database!r}: "
            "check the container number, --from/--to and --influx-bucket"
        )
    train_ids = {m.train_id for m in moves if m.train_id}
    trains: list[Train] = []
    if train_ids:
        answers = influx_reader.query(
            influx_url,
            database,
            train_statements(train_ids, start - TRAIN_LOOKBACK, end),
            retention=retention,
            token=token,
            epoch="ms",
        )
        departures, transits, in_transit = (influx_reader.rows(a) for a in answers)
        trains = trains_of(departures, transits, in_transit, tz)
    state: AcksState = "no Alertmanager URL" if acks is None else "read"
    return build_trace(
        equipment, start, end, reference, moves, trains, readings, exceptions, state, source
    )
