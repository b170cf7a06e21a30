"""The InfluxDB schema as code: measurement names, and the samples each aggregate becomes.

Every builder is idempotent: the same aggregate always gives the same measurement, tag set
and timestamp, so writing it again overwrites the point instead of adding one (InfluxDB
keeps one point per series and timestamp). That is what lets the stream re-write a day's
totals on every change, and a replay re-write everything, without double counting.

Rules that keep the schema queryable with plain InfluxQL (1.x, 2.x and 3.x alike):

- **Daily aggregates** are stamped at local midnight (the port's timezone) of their day;
  group them with ``GROUP BY time(1d) tz('Asia/Shanghai')``.
- **Explicit zeros.** A day's samples cover every dimension the reference knows (every
  corridor in both directions, every TEU category × direction × laden/empty, ...), with 0
  where nothing was counted, so "today by corridor" panels are complete and a re-written
  day never leaves a stale non-zero behind.
- **Stable field types.** InfluxDB refuses a field whose type differs from earlier writes
  to the same shard, so each field always has one type: counts are integers, TEU, tonnes,
  hours and °C are floats (``float()`` even when whole), and flags are integers 0/1
  (summable, and comparable in every InfluxQL version).
- **Unknown tag values** are written as ``"unknown"``: InfluxDB has no empty tag values.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final, get_args

from lugang.contract import (
    ColdChainException,
    ContainerEvent,
    Direction,
    EmptyIndicator,
    ReeferReading,
    parse_exception_id,
)
from lugang.reference import CommodityProfile, Reference
from streams.domain.balance import CorridorBalance
from streams.domain.counts import DayTotals, Fact
from streams.domain.dwell import Dwell
from streams.domain.projection import MeasureProjection, YearProjection
from streams.domain.status import TONNES_PER_UNIT, AgainstTarget, Period, Status
from streams.domain.transit import RunUnderWay
from streams.schema.line import EPOCH as _EPOCH
from streams.schema.line import FieldValue, line
from streams.schema.silences import Acknowledgement

TRAIN_RUNS_DAILY: Final = "train_runs_daily"
TEU_DAILY: Final = "teu_daily"
REEFER_TEU_DAILY: Final = "reefer_teu_daily"
TONNAGE_DAILY: Final = "tonnage_daily"
DAILY_SERVICE: Final = "daily_service"
PROGRESS_DAILY: Final = "progress_daily"
TEU_CATEGORY_PROGRESS_DAILY: Final = "teu_category_progress_daily"
DAILY_SERVICE_STATUS: Final = "daily_service_status"
DAILY_SERVICE_LIVE: Final = "daily_service_live"
CORRIDOR_BALANCE_DAILY: Final = "corridor_balance_daily"
TRAIN_DEPARTURE: Final = "train_departure"
TRANSIT: Final = "transit"
TRAIN_IN_TRANSIT: Final = "train_in_transit"
COLDCHAIN_EXCEPTION: Final = "coldchain_exception"
REEFER_READING: Final = "reefer_reading"
CONTAINER_DWELL: Final = "container_dwell"
"""One point per completed visit (:func:`dwell_sample`)."""
CONTAINER_MOVE: Final = "container_move"
"""One point per container move, tagged by the container (:func:`move_sample`)."""
YEAR_PROJECTION: Final = "year_projection"
"""Today's year-end projection, one point per measure (:func:`projection_samples`)."""
COLDCHAIN_ACK: Final = "coldchain_ack"
"""The acknowledgement of an exception's page, one point per exception (:func:`ack_sample`)."""
MEASUREMENTS: Final = (
    TRAIN_RUNS_DAILY,
    TEU_DAILY,
    REEFER_TEU_DAILY,
    TONNAGE_DAILY,
    DAILY_SERVICE,
    PROGRESS_DAILY,
    TEU_CATEGORY_PROGRESS_DAILY,
    DAILY_SERVICE_STATUS,
    DAILY_SERVICE_LIVE,
    CORRIDOR_BALANCE_DAILY,
    TRAIN_DEPARTURE,
    TRANSIT,
    TRAIN_IN_TRANSIT,
    COLDCHAIN_EXCEPTION,
    REEFER_READING,
    CONTAINER_DWELL,
    CONTAINER_MOVE,
    YEAR_PROJECTION,
    COLDCHAIN_ACK,
)
"""Every measurement Lugang writes and its dashboards show (they may query only these)."""

UNKNOWN: Final = "unknown"
"""Tag value for a commodity or corridor that is not known."""

DIRECTIONS: Final[tuple[Direction, ...]] = get_args(Direction)
LADEN_STATES: Final[tuple[EmptyIndicator, ...]] = get_args(EmptyIndicator)

BALANCE_PERIODS: Final = ("day", "month_to_date", "year_to_date")
"""The ``period`` tag of ``corridor_balance_daily``: the day alone, the month and the year to
it (the ``today``, ``month_to_date`` and ``year_to_date`` of ``/status``)."""

_NOTHING_MOVED: Final = CorridorBalance()
"""The balance of a corridor without a move in a period, built once: read only, and the
most corridors of most days (building it anew copied its default flows every time)."""

PROJECTION_MEASURES: Final = ("train_runs", "teu", "teu_by_category", "reefer_teu", "tonnage")
"""The ``measure`` tag of ``year_projection``: the fields of
:class:`~streams.domain.projection.YearProjection`; ``teu_by_category`` points carry the
category as ``teu_category`` too."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One InfluxDB point: measurement, tags, fields and an aware timestamp.

    Raises:
        ValueError: a point InfluxDB would refuse (naive time, no fields, an empty name or
            tag value, a newline in one, a NaN or infinite float). Refusing it here puts
            the bug at the code that built it rather than in a rejected batch later.
    """

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time: datetime

    def __post_init__(self) -> None:
        if self.time.utcoffset() is None:
            raise ValueError(f"{self.measurement}: time needs a UTC offset")
        if not self.fields:
            raise ValueError(f"{self.measurement}: a point needs at least one field")
        names = (self.measurement, *self.tags, *self.tags.values(), *self.fields)
        if not all(names) or "\n" in "".join(names):
            raise ValueError(f"{self.measurement}: empty name or tag value, or a newline")
        for value in self.fields.values():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{self.measurement}: fields must be finite numbers")

    def to_line(self) -> str:
        """InfluxDB line protocol with a nanosecond timestamp; tags and fields sorted by key,
        so the same sample always gives the same line."""
        return line(self.measurement, self.tags, self.fields, self.time)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The start of a local calendar day: the timestamp of that day's aggregates."""
    return datetime.combine(day, time(), tzinfo=tz)


def _flag(value: bool) -> int:
    return 1 if value else 0


def day_samples(totals: DayTotals, reference: Reference) -> list[Sample]:
    """A day's totals, one sample per dimension the reference knows (zeros included)."""
    at = local_midnight(totals.day, reference.home.tz)
    samples = [
        Sample(
            TRAIN_RUNS_DAILY,
            {"corridor": cid, "direction": direction, "service_group": corridor.service_group},
            {"runs": totals.runs.get(f"{cid}/{direction}", 0)},
            at,
        )
        for cid, corridor in reference.corridors.items()
        for direction in DIRECTIONS
    ]
    samples += [
        Sample(
            TEU_DAILY,
            {"teu_category": category, "direction": direction, "laden": laden},
            {"teu": float(totals.teu.get(f"{category}/{direction}/{laden}", 0.0))},
            at,
        )
        for category in reference.teu_categories
        for direction in DIRECTIONS
        for laden in LADEN_STATES
    ]
    samples += [
        Sample(
            REEFER_TEU_DAILY,
            {"direction": direction},
            {"teu": float(totals.reefer_teu.get(direction, 0.0))},
            at,
        )
        for direction in DIRECTIONS
    ]
    samples.append(Sample(TONNAGE_DAILY, {}, {"gross_weight_t": totals.gross_weight_kg / 1000}, at))
    for group, spec in reference.service_groups.items():
        if spec.daily_service:
            outbound = totals.outbound_runs_by_group.get(group, 0)
            fields = {"served": _flag(outbound > 0), "outbound_runs": outbound}
            samples.append(Sample(DAILY_SERVICE, {"service_group": group}, fields, at))
    return samples


def _progress(
    name: str, actual: int | float, against: AgainstTarget | None
) -> dict[str, FieldValue]:
    """``{name}_ytd`` and, when the year has a target, ``{name}_pro_rata``."""
    fields: dict[str, FieldValue] = {f"{name}_ytd": actual}
    if against is not None:
        fields[f"{name}_pro_rata"] = float(against.pro_rata_target)
    return fields


def status_samples(status: Status, reference: Reference) -> list[Sample]:
    """Year-to-date progress, 天天班 standing and each corridor's two-way balance over the
    day, month and year to date (``corridor_balance_daily``, every corridor of the
    reference in every period) as of ``status.as_of``. Pro-rata fields are left out in a
    year the plan sets no target for."""
    at = local_midnight(status.as_of, reference.home.tz)
    ytd = status.year_to_date
    progress = {
        **_progress("trains", ytd.train_runs, status.trains_ytd),
        **_progress("teu", float(ytd.teu), status.teu_ytd),
        **_progress("reefer_teu", float(ytd.reefer_teu), status.reefer_teu_ytd),
        **_progress("tonnage_10k_t", ytd.gross_weight_t / TONNES_PER_UNIT, status.tonnage_ytd),
    }
    samples = [Sample(PROGRESS_DAILY, {}, progress, at)]
    samples += [
        Sample(
            TEU_CATEGORY_PROGRESS_DAILY,
            {"teu_category": category},
            _progress(
                "teu",
                float(ytd.teu_by_category.get(category, 0.0)),
                status.teu_ytd_by_category.get(category),
            ),
            at,
        )
        for category in reference.teu_categories
    ]
    samples += [
        Sample(
            DAILY_SERVICE_STATUS,
            {"service_group": service.group},
            {
                "streak_days": service.streak_days,
                "missed_mtd": service.missed_month_to_date,
                "missed_ytd": service.missed_year_to_date,
                "served": _flag(service.served_today),
            },
            at,
        )
        for service in status.daily_service
    ]
    periods: dict[str, Period] = {
        "day": status.today,
        "month_to_date": status.month_to_date,
        "year_to_date": status.year_to_date,
    }
    samples += [
        Sample(
            CORRIDOR_BALANCE_DAILY,
            {"corridor": corridor, "period": name},
            _balance_fields(periods[name].balance.corridors.get(corridor, _NOTHING_MOVED)),
            at,
        )
        for name in BALANCE_PERIODS
        for corridor in reference.corridors
    ]
    return samples


def _balance_fields(balance: CorridorBalance) -> dict[str, FieldValue]:
    """TEU fields always (0 where nothing moved); the ratio and the empty shares only where
    they are defined (a count can only grow, so a defined one is never taken back)."""
    fields: dict[str, FieldValue] = {
        "inbound_teu": float(balance.inbound.teu),
        "outbound_teu": float(balance.outbound.teu),
        "inbound_empty_teu": float(balance.inbound.empty_teu),
        "outbound_empty_teu": float(balance.outbound.empty_teu),
        "imbalance_teu": float(balance.imbalance_teu),
    }
    optional = {
        "balance_ratio": balance.balance_ratio,
        "inbound_empty_share": balance.inbound.empty_share,
        "outbound_empty_share": balance.outbound.empty_share,
    }
    fields.update((name, float(value)) for name, value in optional.items() if value is not None)
    return fields


def live_daily_service_samples(status: Status, reference: Reference) -> list[Sample]:
    """天天班 of ``status.as_of`` as the clock stood when ``status`` was computed, one point
    per 天天班 group: ``served`` and ``warning`` (no outbound run yet, past the warning
    hour), both 0/1 and both always written.

    The warning comes with the clock, not with an event: a timer writes these for today
    every minute (:class:`streams.timers.MinuteRound`), so the wall screen's tile turns red
    at the warning hour although nothing happened. Each write overwrites the day's point; a
    past day keeps the last one written on it. Apart from the stream's measurements, which
    a replay rewrites the same whatever the clock."""
    at = local_midnight(status.as_of, reference.home.tz)
    return [
        Sample(
            DAILY_SERVICE_LIVE,
            {"service_group": service.group},
            {"served": _flag(service.served_today), "warning": _flag(service.warning)},
            at,
        )
        for service in status.daily_service
    ]


def departure_sample(train_id: str, corridor: str, departed_at: datetime) -> Sample:
    """One outbound departure from the home location, stamped at the departure and written
    when it is read: the dashboards mark departures with it (Grafana annotations), which
    ``transit`` cannot do, as a run's transit point is written only once it arrives.
    ``runs`` is always 1, so ``sum("runs")`` counts departures."""
    return Sample(
        TRAIN_DEPARTURE, {"corridor": corridor, "train_id": train_id}, {"runs": 1}, departed_at
    )


def transit_sample(
    train_id: str,
    corridor: str,
    departed_at: datetime,
    arrived_at: datetime,
    benchmark_h: float | None,
) -> Sample:
    """Transit time of one outbound run, stamped at its departure from the home location.

    Raises:
        ValueError: the arrival is before the departure.
    """
    if arrived_at < departed_at:
        raise ValueError(f"train {train_id}: arrived {arrived_at} before departing {departed_at}")
    hours = (arrived_at - departed_at) / timedelta(hours=1)
    fields: dict[str, FieldValue] = {"hours": hours}
    if benchmark_h is not None:
        fields["benchmark_h"] = float(benchmark_h)
        fields["within_benchmark"] = _flag(hours <= benchmark_h)
    return Sample(TRANSIT, {"corridor": corridor, "train_id": train_id}, fields, departed_at)


def in_transit_sample(run: RunUnderWay) -> Sample:
    """One run under way, outbound or inbound (tag ``direction``), stamped at its departure
    (outbound: from the home location; inbound: from the corridor's far end), as the
    minute's round sees it (:class:`streams.timers.MinuteRound`): ``in_transit`` 1 and
    ``elapsed_h`` so far while it travels; once it arrives, ``in_transit`` 0 and its
    transit time. ``overdue`` (0/1) and, on a corridor with a benchmark, ``benchmark_h``.
    Each minute's write overwrites the run's point, so the newest word stands; "trains in
    transit now" is ``WHERE "in_transit" = 1`` over the last week."""
    fields: dict[str, FieldValue] = {
        "in_transit": _flag(run.in_transit),
        "elapsed_h": float(run.elapsed_h),
        "overdue": _flag(run.overdue),
    }
    if run.benchmark_h is not None:
        fields["benchmark_h"] = float(run.benchmark_h)
    tags = {"corridor": run.corridor, "direction": run.direction, "train_id": run.train_id}
    return Sample(TRAIN_IN_TRANSIT, tags, fields, run.departed_at)


def exception_sample(exc: ColdChainException) -> Sample:
    """A cold-chain exception, stamped at its start. Opening and closing give the same tags
    and time, so the closed exception overwrites the open one (the close carries every
    field the open did: the peak only grows); once closed it carries its end,
    ``ended_at_ms`` (milliseconds since the epoch), and ``duration_s``."""
    fields: dict[str, FieldValue] = {"open": _flag(exc.status == "OPEN"), "status": exc.status}
    if exc.ended_at is not None:
        # The end as a value, not only as start + duration_s: InfluxQL cannot add to a
        # point's time, and Grafana draws an annotation's region to a column's time.
        fields["ended_at_ms"] = (exc.ended_at - _EPOCH) // timedelta(milliseconds=1)
    if exc.duration_s is not None:
        fields["duration_s"] = float(exc.duration_s)
    if exc.peak_deviation_c is not None:
        fields["peak_deviation_c"] = float(exc.peak_deviation_c)
    tags = {
        "kind": exc.kind,
        "equipment_reference": exc.equipment_reference,
        "commodity": exc.commodity or UNKNOWN,
        "corridor": exc.corridor or UNKNOWN,
        "exception_id": exc.exception_id,
    }
    return Sample(COLDCHAIN_EXCEPTION, tags, fields, exc.started_at)


def ack_sample(ack: Acknowledgement) -> Sample:
    """The acknowledgement of an exception, stamped at the exception's start like its
    ``coldchain_exception`` point: its end (``active`` 0, ``until_ms`` when it ended)
    overwrites it, and so does a later acknowledgement of the same exception.

    Raises:
        ValueError: the acknowledgement's exception id is not one Lugang writes.
    """
    container, kind, started_at = parse_exception_id(ack.exception_id)
    fields: dict[str, FieldValue] = {
        "by": ack.by,
        "comment": ack.comment,
        "since_ms": (ack.since - _EPOCH) // timedelta(milliseconds=1),
        "until_ms": (ack.until - _EPOCH) // timedelta(milliseconds=1),
        "active": _flag(ack.active),
    }
    tags = {"exception_id": ack.exception_id, "equipment_reference": container, "kind": kind}
    return Sample(COLDCHAIN_ACK, tags, fields, started_at)


def recorded_ack(row: Mapping[str, object]) -> Acknowledgement | None:
    """The acknowledgement a ``coldchain_ack`` row read back holds (its tags and fields by
    name, as :func:`ack_sample` writes them); None for a row without one. No silence id or
    pipeline: the database is the pipeline's."""
    by, since, until = row.get("by"), row.get("since_ms"), row.get("until_ms")
    if by is None or not isinstance(since, int | float) or not isinstance(until, int | float):
        return None
    return Acknowledgement(
        silence_id="",
        exception_id=str(row["exception_id"]),
        pipeline="",
        by=str(by),
        since=_EPOCH + timedelta(milliseconds=since),
        until=_EPOCH + timedelta(milliseconds=until),
        comment=str(row.get("comment") or ""),
        active=bool(row.get("active")),
    )


def reading_sample(
    reading: ReeferReading,
    commodity: str | None,
    profile: CommodityProfile | None,
    corridor: str | None,
) -> Sample:
    """One reefer reading, with the commodity and corridor it was judged by (its own, else
    the container's latest move) and that commodity's safe band, so a panel can draw the
    band next to the temperature."""
    fields: dict[str, FieldValue] = {
        "supply_air_c": float(reading.supply_air_c),
        "setpoint_c": float(reading.setpoint_c),
        "power_on": _flag(reading.power_on),
    }
    if reading.return_air_c is not None:
        fields["return_air_c"] = float(reading.return_air_c)
    if reading.humidity_pct is not None:
        fields["humidity_pct"] = float(reading.humidity_pct)
    if profile is not None:
        if profile.band_low_c is not None:
            fields["band_low_c"] = float(profile.band_low_c)
        fields["band_high_c"] = float(profile.band_high_c)
    tags = {
        "equipment_reference": reading.equipment_reference,
        "commodity": commodity or UNKNOWN,
        "corridor": corridor or UNKNOWN,
    }
    return Sample(REEFER_READING, tags, fields, reading.reading_time)


def dwell_sample(dwell: Dwell) -> Sample:
    """One completed visit, stamped at its end, with ``dwell_h`` and the container as a
    field: a rewrite (a replay, a redelivered end) gives the same time, tags and fields, so
    it overwrites its point. The time is nudged by under a millisecond, fixed per container
    (CRC-32), so that two boxes of one group ending in the same second (a train's loads are
    often stamped alike) make two points, not one overwriting the other."""
    nudge = timedelta(microseconds=zlib.crc32(dwell.equipment_reference.encode()) % 1000)
    tags = {
        "direction": dwell.direction,
        "teu_category": dwell.teu_category,
        "laden": "LADEN" if dwell.laden else "EMPTY",
    }
    fields: dict[str, FieldValue] = {
        "dwell_h": float(dwell.hours),
        "equipment_reference": dwell.equipment_reference,
    }
    return Sample(CONTAINER_DWELL, tags, fields, dwell.ended_at + nudge)


def move_sample(event: ContainerEvent, counted: Fact | None) -> Sample:
    """One container move (gate in, load, discharge, gate out, anywhere), stamped at its
    event time, so that a box's journey is ``WHERE "equipment_reference" = '…'``.

    Tags ``equipment_reference``, ``event_type``, ``direction`` (``unknown`` for a gate move
    that names none) and ``location``; fields ``event_id``, ``iso_equipment_code``,
    ``laden`` (``LADEN``/``EMPTY``, as the ``laden`` tag of the other measurements), and
    those the move carries: ``train_id``, ``corridor``, ``commodity``, ``gross_weight_kg``.
    ``counted`` is the fact the move counts as (:func:`streams.domain.counts.fact_of`, None:
    not counted); a counted move also has ``teu`` and ``teu_category``, so ``sum("teu")`` of
    a day is its TEU 到发量.

    Idempotent: a replay or redelivery writes the same point again. The time is exact (no
    nudge: the container is a tag), so two moves of one box, kind, direction and place in
    the same second are one point, the later written: they are the same move or a
    duplicate of it."""
    fields: dict[str, FieldValue] = {
        "event_id": event.event_id,
        "iso_equipment_code": event.iso_equipment_code,
        "laden": event.empty_indicator,
    }
    optional = {
        "train_id": event.train_id,
        "corridor": event.corridor,
        "commodity": event.commodity,
    }
    fields.update((name, value) for name, value in optional.items() if value is not None)
    if event.gross_weight_kg is not None:
        fields["gross_weight_kg"] = float(event.gross_weight_kg)
    if counted is not None:
        fields["teu"] = float(counted.teu)
        fields["teu_category"] = counted.teu_category
    tags = {
        "equipment_reference": event.equipment_reference,
        "event_type": event.event_type,
        "direction": event.direction or UNKNOWN,
        "location": event.location,
    }
    return Sample(CONTAINER_MOVE, tags, fields, event.event_time)


def projection_samples(projection: YearProjection, reference: Reference) -> list[Sample]:
    """The year-end projection as of ``projection.as_of``
    (:func:`streams.domain.projection.project_year`), one point per known measure, stamped
    at that day's local midnight: the minute's round (:class:`streams.timers.MinuteRound`)
    writes today's every minute, each write overwriting the day's point, and a past day
    keeps the last one written on it. Tag ``measure`` (:data:`PROJECTION_MEASURES`), and
    ``teu_category`` for ``teu_by_category``. Fields ``actual`` (year to date),
    ``projected``, ``low`` and ``high`` (the 80 % interval), ``seasonal`` (0/1: last year's
    season shaped it); where the year has a target for the measure, ``target`` and
    ``probability`` (0 to 1) of reaching it. A measure still unknown (early in the year,
    nothing counted) has no point."""
    at = local_midnight(projection.as_of, reference.home.tz)
    measures: list[tuple[dict[str, str], MeasureProjection | None]] = [
        ({"measure": "train_runs"}, projection.train_runs),
        ({"measure": "teu"}, projection.teu),
        *(
            ({"measure": "teu_by_category", "teu_category": category}, measure)
            for category, measure in projection.teu_by_category.items()
        ),
        ({"measure": "reefer_teu"}, projection.reefer_teu),
        ({"measure": "tonnage"}, projection.tonnage),
    ]
    return [
        Sample(YEAR_PROJECTION, tags, _projection_fields(measure), at)
        for tags, measure in measures
        if measure is not None
    ]


def _projection_fields(measure: MeasureProjection) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "actual": float(measure.actual),
        "projected": float(measure.projected),
        "low": float(measure.low),
        "high": float(measure.high),
        "seasonal": _flag(measure.seasonal),
    }
    if measure.yearly_target is not None:
        fields["target"] = float(measure.yearly_target)
    if measure.probability is not None:
        fields["probability"] = float(measure.probability)
    return fields
