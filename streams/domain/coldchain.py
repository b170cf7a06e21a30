"""Cold-chain exceptions of one reefer container: a pure state machine (domain reference §4).

A faust agent keeps one :class:`ContainerState` per container and feeds it readings with
:func:`step`, train moves with :func:`with_context` and a live timer with
:func:`check_silence`; each returns the new state and the :class:`Open`/:class:`Close`
decisions to page or resolve. Nothing here reads a clock or does I/O: time is the event
time of the readings (or the ``now`` handed to :func:`check_silence`). Thresholds come
from :class:`~lugang.reference.ExceptionRules`, safe bands from the commodity profiles.

An exception's id is :func:`~lugang.contract.exception_id` of container, kind and start,
and every start below is a reading time (or, for a gap, the time of the last reading
before it), so a replay from the same state never opens the same exception twice.

Choices where domain §4 leaves room:

- **Readings in order.** The track (:mod:`streams.domain.reefer`) puts readings in order
  within the allowed lateness and rejects later ones; a reading not after the last one is
  ignored here (no change, no decisions).
- **Watch and trip.** A container is on watch from its first reading or move; a move that
  ``leaves`` (gate out at Huaihua, discharge at the far end, arrival of its outbound train
  there: :mod:`streams.domain.watch`) ends the watch: every exception still open closes at
  the move's time, and the excursion, power and trip totals are forgotten. The next
  reading or move starts a new trip; a reading or move not after the leave belongs to the
  ended trip and changes nothing. A trip is the whole stay (dwell at the port and train
  journey together): a move onto another train does not start one.
- **Timing: sample and hold**, the same for every rule (:func:`held_seconds` gives it for
  a whole series). Between readings the unit is
  taken to stay as last reported, a gap included: an excursion (or a run of power-off
  readings) lasts from its first reading to the first reading that ends it, and opens as
  soon as a reading comes at least the threshold after its start, whatever that reading
  shows (out of band 0–25 with the first in-band reading at 30 is a 30-minute excursion:
  HIGH opens at 30). A 29-minute excursion opens nothing.
- **HIGH / LOW.** An excursion starts at the first out-of-band reading. Its first in-band
  reading marks a possible end; the excursion ends there once a reading at least
  ``hysteresis_minutes`` later arrives (that reading is in band, or out of band only after
  the hysteresis time has passed and so starts a new excursion). An out-of-band reading on
  the same side before then continues the excursion. A reading on the other side of the
  band ends the excursion (at its first in-band reading if it had one, else at that
  reading) and starts a new one: hysteresis only joins returns to the same side. Peak
  deviation is °C beyond the band edge.
- **CUMULATIVE** opens, once per trip, on the reading at which the trip's out-of-band time
  (credited from an out-of-band reading to the next reading) exceeds
  ``cumulative_minutes``, and closes when the trip ends. Its peak is the trip's largest
  deviation.
- **POWER_OFF** lasts from the first of a run of power-off readings to the next power-on
  reading; it opens on the first reading at least ``power_off_minutes`` after the start
  (and, if that reading is already powered, closes there too).
- **TELEMETRY_GAP** (no reading for more than ``telemetry_gap_minutes``) starts at the
  last reading before the silence, and is judged only on watch and once the unit has
  reported on the trip (an empty reefer that is never plugged in has no gap). Live,
  :func:`check_silence` opens it and the next reading closes it; :func:`step` first does
  what that check would have done at the reading's time, so on replay the reading opens
  and closes it at once, with the same id and the same closed exception. Call the check
  with an event-time watermark: a wall-clock check that runs ahead of delayed readings can
  open a gap the data later disproves (the agent closes such a gap).
- **SETPOINT_MISMATCH** opens on the first reading whose setpoint lies outside the band
  and closes on the first reading whose setpoint is back inside.
- **Unknown commodity.** A reading without a commodity takes the container's from its
  latest move (:func:`with_context`); with neither, or one without a profile, the band
  rules (HIGH, LOW, CUMULATIVE, SETPOINT_MISMATCH) skip the reading and keep their state,
  while power and gaps still apply. An exception carries the commodity and corridor of
  the reading that opened it (its own, else the container's); a TELEMETRY_GAP those of
  the last reading before it, so a move during the silence cannot make the live and the
  replayed gap differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal, Protocol

from pydantic import AwareDatetime, TypeAdapter

from lugang.contract import ColdChainException, ExceptionKind, ReeferReading, exception_id
from lugang.reference import CommodityProfile, ExceptionRules

Side = Literal["HIGH", "LOW"]
"""The side of the safe band a temperature lies beyond (also the exception kind)."""


class Band(Protocol):
    """A safe supply-air band: a :class:`~lugang.reference.CommodityProfile`, or any
    object with its two bounds (None: no lower bound)."""

    @property
    def band_low_c(self) -> float | None: ...

    @property
    def band_high_c(self) -> float: ...


def band_deviation(band: Band, temperature_c: float) -> tuple[Side | None, float]:
    """The side of the band a temperature lies beyond and by how many °C, or
    ``(None, 0.0)`` inside the band (bounds included, as in ``CommodityProfile.in_band``)."""
    if temperature_c > band.band_high_c:
        return "HIGH", temperature_c - band.band_high_c
    low = band.band_low_c
    if low is not None and temperature_c < low:
        return "LOW", low - temperature_c
    return None, 0.0


def held_seconds(times: Sequence[datetime], end: datetime | None = None) -> list[float]:
    """The timing rule (sample and hold) for a series of reading times in order: how long
    each reading stands, in seconds, until the next one; the last until ``end`` if given
    (0 if not, or if ``end`` is not after it). :func:`step` credits the same time, one
    reading at a time: the trip's out-of-band seconds are those of its out-of-band readings.
    """
    held = [(later - earlier).total_seconds() for earlier, later in pairwise(times)]
    if times:
        held.append(0.0 if end is None else max((end - times[-1]).total_seconds(), 0.0))
    return held


@dataclass(frozen=True, slots=True)
class Excursion:
    """The current run of supply air beyond one side of the band."""

    side: Side
    started_at: AwareDatetime
    peak_deviation_c: float
    back_in_band_at: AwareDatetime | None = None
    """First in-band reading of a return that has not yet lasted the hysteresis time."""


@dataclass(frozen=True, slots=True)
class Opened:
    """An open exception, with its peak deviation kept up to date."""

    kind: ExceptionKind
    started_at: AwareDatetime
    commodity: str | None = None
    corridor: str | None = None
    peak_deviation_c: float | None = None


@dataclass(frozen=True, slots=True)
class ContainerState:
    """All the cold-chain rules remember about one container; small and bounded (at most
    one open exception per kind), serialised with :meth:`to_json` for a faust table."""

    equipment_reference: str
    commodity: str | None = None
    """Commodity of the container's latest move."""
    corridor: str | None = None
    train_id: str | None = None
    """Train the container last moved on."""
    boarded_at: AwareDatetime | None = None
    """Time of the move that put the container on ``train_id``."""
    watching: bool = False
    """On watch (a trip under way)."""
    reported: bool = False
    """The unit has reported on this trip (only then can its silence be a gap)."""
    left_at: AwareDatetime | None = None
    """When the container last left watch; nothing up to then is judged again."""
    last_reading_at: AwareDatetime | None = None
    last_commodity: str | None = None
    """Commodity the last reading was judged by, carried by a gap after it."""
    last_corridor: str | None = None
    excursion: Excursion | None = None
    power_off_since: AwareDatetime | None = None
    trip_out_of_band_s: float = 0.0
    trip_peak_deviation_c: float = 0.0
    opened: tuple[Opened, ...] = ()

    def to_json(self) -> bytes:
        """Compact JSON (fields at their default left out); see :meth:`from_json`."""
        return _STATE_JSON.dump_json(self, exclude_defaults=True)

    @classmethod
    def from_json(cls, data: bytes) -> ContainerState:
        """The state :meth:`to_json` wrote (validated: times must carry an offset)."""
        return _STATE_JSON.validate_json(data)


_STATE_JSON = TypeAdapter(ContainerState)


@dataclass(frozen=True, slots=True)
class Open:
    """Open this exception (page on-call staff)."""

    exception: ColdChainException


@dataclass(frozen=True, slots=True)
class Close:
    """Close this exception (resolve its page); ``ended_at`` and ``duration_s`` are set."""

    exception: ColdChainException


Decision = Open | Close


def _exception(
    equipment_reference: str, opened: Opened, ended_at: datetime | None = None
) -> ColdChainException:
    # Built without validation: every value comes from validated readings and moves, and
    # validating would check the commodity against the packaged reference rather than the
    # one in use. The id is computed here, so it always matches.
    return ColdChainException.model_construct(
        exception_id=exception_id(equipment_reference, opened.kind, opened.started_at),
        kind=opened.kind,
        equipment_reference=equipment_reference,
        commodity=opened.commodity,
        corridor=opened.corridor,
        started_at=opened.started_at,
        ended_at=ended_at,
        peak_deviation_c=opened.peak_deviation_c,
        duration_s=None if ended_at is None else (ended_at - opened.started_at).total_seconds(),
        status="OPEN" if ended_at is None else "CLOSED",
    )


def closed(exception: ColdChainException, ended_at: datetime) -> ColdChainException:
    """``exception`` closed at ``ended_at`` (e.g. a live gap the data disprove)."""
    duration_s = (ended_at - exception.started_at).total_seconds()
    update = {"ended_at": ended_at, "duration_s": duration_s, "status": "CLOSED"}
    return exception.model_copy(update=update)


def open_exceptions(state: ContainerState) -> list[ColdChainException]:
    """The container's open exceptions, e.g. to re-send active alerts to Alertmanager."""
    return [_exception(state.equipment_reference, opened) for opened in state.opened]


class _Ledger:
    """The open exceptions of one container during one transition, and its decisions.

    Exceptions opened through it carry the commodity and corridor it was made with.
    """

    __slots__ = ("commodity", "corridor", "decisions", "equipment_reference", "opened")

    def __init__(
        self,
        state: ContainerState,
        commodity: str | None,
        corridor: str | None,
        decisions: list[Decision] | None = None,
    ) -> None:
        self.equipment_reference = state.equipment_reference
        self.commodity = commodity
        self.corridor = corridor
        self.opened = list(state.opened)
        self.decisions: list[Decision] = decisions or []

    def find(self, kind: ExceptionKind) -> Opened | None:
        for opened in self.opened:
            if opened.kind == kind:
                return opened
        return None

    def open(
        self, kind: ExceptionKind, started_at: datetime, peak_deviation_c: float | None = None
    ) -> None:
        opened = Opened(kind, started_at, self.commodity, self.corridor, peak_deviation_c)
        self.opened.append(opened)
        self.decisions.append(Open(_exception(self.equipment_reference, opened)))

    def close(self, kind: ExceptionKind, ended_at: datetime) -> None:
        """Close the open exception of this kind, if there is one."""
        opened = self.find(kind)
        if opened is not None:
            self.opened.remove(opened)
            self.decisions.append(Close(_exception(self.equipment_reference, opened, ended_at)))

    def raise_peak(self, kind: ExceptionKind, peak_deviation_c: float) -> None:
        """Raise the peak of the open exception of this kind, if there is one."""
        for index, opened in enumerate(self.opened):
            if opened.kind == kind:
                if opened.peak_deviation_c is None or peak_deviation_c > opened.peak_deviation_c:
                    self.opened[index] = replace(opened, peak_deviation_c=peak_deviation_c)
                return


def check_silence(
    state: ContainerState, now: datetime, rules: ExceptionRules
) -> tuple[ContainerState, list[Decision]]:
    """Open a TELEMETRY_GAP if nothing has been heard from the container for more than
    ``telemetry_gap_minutes`` before ``now`` (event time); the next reading closes it."""
    last = state.last_reading_at
    if not state.reported or last is None:
        return state, []
    if now - last <= timedelta(minutes=rules.telemetry_gap_minutes):
        return state, []
    ledger = _Ledger(state, state.last_commodity, state.last_corridor)
    if ledger.find("TELEMETRY_GAP") is not None:
        return state, []
    ledger.open("TELEMETRY_GAP", last)
    return replace(state, opened=tuple(ledger.opened)), ledger.decisions


def with_context(
    state: ContainerState,
    *,
    commodity: str | None,
    corridor: str | None,
    train_id: str | None,
    at: datetime | None = None,
    leaves: bool = False,
) -> tuple[ContainerState, list[Decision]]:
    """A move of the container at ``at``: take commodity and corridor from it, even when it
    has none (readings without their own commodity then go unjudged), and put the container
    on watch; a move that ``leaves`` ends the trip instead (:func:`leave`). A move not after
    the last leave belongs to the ended trip and changes nothing."""
    if state.left_at is not None and at is not None and at <= state.left_at:
        return state, []
    if leaves and at is not None:
        return leave(state, at)
    boarded = state.boarded_at
    if train_id is not None and train_id != state.train_id:
        boarded = at
    moved = replace(
        state,
        commodity=commodity,
        corridor=corridor,
        train_id=train_id or state.train_id,
        boarded_at=boarded,
        watching=not leaves,
    )
    return moved, []


def leave(state: ContainerState, at: datetime) -> tuple[ContainerState, list[Decision]]:
    """The container leaves watch at ``at``: every exception still open closes then (not
    before it started), and the trip's excursion, power run and totals are forgotten."""
    ledger = _Ledger(state, state.commodity, state.corridor)
    for opened in list(ledger.opened):
        ledger.close(opened.kind, max(at, opened.started_at))
    left = ContainerState(
        equipment_reference=state.equipment_reference,
        commodity=state.commodity,
        corridor=state.corridor,
        last_reading_at=state.last_reading_at,
        last_commodity=state.last_commodity,
        last_corridor=state.last_corridor,
        left_at=at,
    )
    return left, ledger.decisions


def step(
    state: ContainerState,
    reading: ReeferReading,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> tuple[ContainerState, list[Decision]]:
    """Apply one reading of the container; ``profiles`` maps commodity names to profiles
    (``Reference.commodities``). See the module docstring for the rules."""
    at = reading.reading_time
    if state.last_reading_at is not None and at <= state.last_reading_at:
        return state, []
    if state.left_at is not None and at <= state.left_at:
        return state, []  # a reading of a trip that has ended
    state, decisions = check_silence(state, at, rules)
    commodity = reading.commodity or state.commodity
    corridor = reading.corridor or state.corridor
    ledger = _Ledger(state, commodity, corridor, decisions)
    ledger.close("TELEMETRY_GAP", at)
    power_off_since = _track_power(ledger, reading, state.power_off_since, rules)
    profile = None if commodity is None else profiles.get(commodity)
    excursion, trip_s, trip_peak = (
        (state.excursion, state.trip_out_of_band_s, state.trip_peak_deviation_c)
        if profile is None
        else _judge(ledger, state, reading, rules, profile)
    )
    # Built field by field: ``dataclasses.replace`` took a third of the worker's time.
    new_state = ContainerState(
        equipment_reference=state.equipment_reference,
        commodity=state.commodity,
        corridor=state.corridor,
        train_id=state.train_id,
        boarded_at=state.boarded_at,
        watching=True,
        reported=True,
        left_at=state.left_at,
        last_reading_at=at,
        last_commodity=commodity,
        last_corridor=corridor,
        excursion=excursion,
        power_off_since=power_off_since,
        trip_out_of_band_s=trip_s,
        trip_peak_deviation_c=trip_peak,
        opened=tuple(ledger.opened),
    )
    return new_state, ledger.decisions


def _track_power(
    ledger: _Ledger, reading: ReeferReading, since: datetime | None, rules: ExceptionRules
) -> datetime | None:
    """The first reading of the current run of power-off readings; None while powered."""
    at = reading.reading_time
    threshold = timedelta(minutes=rules.power_off_minutes)
    if since is not None and at - since >= threshold and ledger.find("POWER_OFF") is None:
        ledger.open("POWER_OFF", since)  # off from ``since`` until this reading at least
    if reading.power_on:
        ledger.close("POWER_OFF", at)
        return None
    since = at if since is None else since
    return since


def _judge(
    ledger: _Ledger,
    state: ContainerState,
    reading: ReeferReading,
    rules: ExceptionRules,
    profile: CommodityProfile,
) -> tuple[Excursion | None, float, float]:
    """Apply the band rules (CUMULATIVE, SETPOINT_MISMATCH, HIGH/LOW) to a reading: the
    excursion, the trip's out-of-band seconds and its peak deviation after it."""
    at = reading.reading_time
    side, deviation = band_deviation(profile, reading.supply_air_c)
    trip_s = state.trip_out_of_band_s
    trip_peak = state.trip_peak_deviation_c
    excursion = state.excursion
    last = state.last_reading_at
    if excursion is not None and excursion.back_in_band_at is None and last is not None:
        trip_s += (at - last).total_seconds()  # the previous reading was out of band
    if deviation > trip_peak:
        trip_peak = deviation
        ledger.raise_peak("CUMULATIVE", trip_peak)
    if trip_s > rules.cumulative_minutes * 60 and ledger.find("CUMULATIVE") is None:
        ledger.open("CUMULATIVE", at, trip_peak)
    _track_setpoint(ledger, reading, profile)
    return _track_excursion(ledger, excursion, at, side, deviation, rules), trip_s, trip_peak


def _track_setpoint(ledger: _Ledger, reading: ReeferReading, profile: CommodityProfile) -> None:
    side, deviation = band_deviation(profile, reading.setpoint_c)
    if side is None:
        ledger.close("SETPOINT_MISMATCH", reading.reading_time)
    elif ledger.find("SETPOINT_MISMATCH") is None:
        ledger.open("SETPOINT_MISMATCH", reading.reading_time, deviation)
    else:
        ledger.raise_peak("SETPOINT_MISMATCH", deviation)


def _track_excursion(
    ledger: _Ledger,
    excursion: Excursion | None,
    at: datetime,
    side: Side | None,
    deviation: float,
    rules: ExceptionRules,
) -> Excursion | None:
    """The excursion after a reading at ``at`` on ``side`` of the band (None: in band)."""
    threshold = timedelta(minutes=rules.excursion_minutes)
    if excursion is not None and side != excursion.side:
        # In band or across it: the excursion lasted (sample and hold) until its first
        # in-band reading, this one if it has none yet.
        lasted_until = excursion.back_in_band_at or at
        if lasted_until - excursion.started_at >= threshold and ledger.find(excursion.side) is None:
            ledger.open(excursion.side, excursion.started_at, excursion.peak_deviation_c)
    if excursion is not None:
        back = excursion.back_in_band_at
        settled = back is not None and at - back >= timedelta(minutes=rules.hysteresis_minutes)
        swung = side is not None and side != excursion.side
        if settled or swung:
            ledger.close(excursion.side, back or at)
            excursion = None
    if side is None:
        if excursion is not None and excursion.back_in_band_at is None:
            excursion = replace(excursion, back_in_band_at=at)
        return excursion
    if excursion is None:
        excursion = Excursion(side, at, deviation)
    elif deviation > excursion.peak_deviation_c or excursion.back_in_band_at is not None:
        peak = max(deviation, excursion.peak_deviation_c)
        excursion = Excursion(side, excursion.started_at, peak)
        ledger.raise_peak(side, peak)
    lasted = at - excursion.started_at >= threshold
    if lasted and ledger.find(side) is None:
        ledger.open(side, excursion.started_at, excursion.peak_deviation_c)
    return excursion
