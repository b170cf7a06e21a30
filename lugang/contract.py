"""The event contract: what the ``trains``, ``containers`` and ``reefer`` topics carry.

Field names follow the DCSA Track & Trace vocabulary in snake_case (domain reference §5).
Validation is strict: unknown fields are refused, strings are never coerced to numbers,
times need a UTC offset, and codes are checked against the reference configuration.
Wire data comes in through :func:`parse_event` (JSON bytes); every failure there becomes
one :class:`InvalidEvent` whose ``reason`` names the field and what is wrong with it.

Corridors, places, commodities and numeric ranges are looked up in the reference passed
as validation context (``context={"reference": ref}``), or in :func:`default_reference`.

Route rule (train and container moves alike): a move happens at Huaihua (the home
location) or at the corridor's far end; a departure or load at Huaihua and an arrival
or discharge at the far end are ``OUTBOUND``, the other two are ``INBOUND``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Annotated, Final, Literal, Self, get_args

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError
from stdnum import iso6346

from lugang import native_checks
from lugang.reference import NumericRange, Reference, default_reference, describe_validation_error

TrainEventType = Literal["DEPA", "ARRI"]
ContainerEventType = Literal["LOAD", "DISC", "GTIN", "GTOT"]
Direction = Literal["OUTBOUND", "INBOUND"]
EmptyIndicator = Literal["LADEN", "EMPTY"]
ExceptionKind = Literal[
    "HIGH", "LOW", "CUMULATIVE", "POWER_OFF", "TELEMETRY_GAP", "SETPOINT_MISMATCH"
]
ExceptionStatus = Literal["OPEN", "CLOSED"]

REEFER_TYPE_GROUP: Final = "R"
"""ISO 6346 type group (third character of the size-type code) of refrigerated containers."""

_SIZE_TYPE_CODE = re.compile(r"[0-9A-Z]{2}[A-Z][0-9]")
_EQUIPMENT_REFERENCE = re.compile(r"[A-Z]{3}[UJZR][0-9]{7}")


class InvalidEvent(ValueError):
    """A message that breaks the event contract; ``reason`` is one line for the dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SizeType:
    """What an ISO 6346 size-type code says about a container."""

    code: str
    length_ft: int
    teu: float
    is_reefer: bool


def size_type(code: str, reference: Reference | None = None) -> SizeType:
    """Decode an ISO 6346 size-type code such as ``22G1``, ``45R1`` (40 ft high-cube reefer)
    or ``L5R1`` (45 ft reefer). Length and TEU come from the reference's length codes.

    Raises:
        ValueError: not a size-type code, or a length code the reference does not know.
    """
    length_codes = (reference or default_reference()).length_codes
    if not _SIZE_TYPE_CODE.fullmatch(code):
        raise ValueError(
            f"{code!r:.20} is not an ISO 6346 size-type code (length, height/width, "
            "type group letter, digit; e.g. 22G1, 45R1)"
        )
    length = length_codes.get(code[0])
    if length is None:
        raise ValueError(
            f"unknown ISO 6346 length code {code[0]!r} in {code!r} "
            f"(known: {', '.join(length_codes)})"
        )
    return SizeType(code, length.length_ft, length.teu, is_reefer=code[2] == REEFER_TYPE_GROUP)


def exception_id(equipment_reference: str, kind: ExceptionKind, started_at: datetime) -> str:
    """Stable id of a cold-chain exception: ``{equipment_reference}:{kind}:{start in UTC}``.

    The start is written in UTC (ISO 8601, e.g. ``MSKU9070323:HIGH:2026-03-15T00:05:00+00:00``)
    so the same instant gives the same id whatever offset the reading carried; replays and
    duplicates therefore never open an exception twice.
    """
    return f"{equipment_reference}:{kind}:{_aware(started_at).astimezone(UTC).isoformat()}"


EXCEPTION_KINDS: Final[tuple[ExceptionKind, ...]] = get_args(ExceptionKind)


def parse_exception_id(text: str) -> tuple[str, ExceptionKind, datetime]:
    """Container, kind and start of an :func:`exception_id`; only the id that function
    writes for them passes (upper-case container, start in UTC with ``+00:00``).

    Raises:
        ValueError: not such an id; the message says which part is wrong, in one line.
    """
    container, _, rest = text.partition(":")
    kind, _, start = rest.partition(":")
    if not start:
        raise ValueError(f"no kind and start after {container!r:.20}")
    try:
        number = _equipment_reference(container)
    except PydanticCustomError as exc:
        raise ValueError(f"container {container!r:.20}: {exc}") from None
    if kind not in EXCEPTION_KINDS:
        raise ValueError(f"kind {kind!r:.30} is not one of {', '.join(EXCEPTION_KINDS)}")
    try:
        started_at = datetime.fromisoformat(start)
    except ValueError:
        raise ValueError(f"start {start!r:.40} is not an RFC 3339 time") from None
    if started_at.utcoffset() is None:
        raise ValueError(f"start {start!r:.40} has no UTC offset")
    expected = exception_id(number, kind, started_at)
    if text != expected:
        raise ValueError(f"the id of that exception is written {expected}")
    return number, kind, started_at


STORED: Final[Mapping[str, bool]] = {"stored": True}
"""Validation context of a record read back from the worker's own state: it was validated
against the worker's reference when it arrived, so the reference checks are skipped (the
packaged reference may not be the one the worker runs with)."""


def _reference(info: ValidationInfo) -> Reference | None:
    """The reference passed as validation context; None for a :data:`STORED` record, which
    skips the checks against the reference; else the packaged default (tests, scripts)."""
    context = info.context
    if type(context) is dict:  # the usual case, without the abstract Mapping check
        given = context.get("reference")
        if type(given) is Reference:
            return given
    if isinstance(context, Mapping):
        if isinstance(context.get("reference"), Reference):
            reference: Reference = context["reference"]
            return reference
        if context.get("stored"):
            return None
    return default_reference()


def _aware(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_required",
            "needs a UTC offset (RFC 3339, e.g. 2026-03-15T09:20:00+08:00 or ...Z)",
        )
    return value


native_checks.register(_aware, lambda reference, schema: native_checks.aware(schema))

_ZONES: dict[timedelta, tzinfo] = {}


def _shared_zone(value: datetime) -> datetime:
    """``value`` with the one ``tzinfo`` object this module keeps for its UTC offset.

    pydantic gives each time it parses a ``tzinfo`` of its own, and Python compares two
    aware times of different ``tzinfo`` objects through both offsets (about 300 ns here),
    of one object directly (about 20 ns): the worker compares a reading's time with its
    container's other times many times over (order, lateness, horizons, duplicates), and
    sharing the object took 7 % off the agents' time per event (``bench.offline``). The
    time, its offset and how it is written stay as they were.
    """
    offset = value.utcoffset()
    if offset is None:  # refused by ``_aware`` before
        return value
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES.setdefault(offset, timezone(offset) if offset else UTC)
    return value.replace(tzinfo=zone)


@lru_cache(maxsize=1 << 16)
def _equipment_reference(value: str) -> str:
    """Normalise (upper case, no spaces) and check an ISO 6346 container number.

    Cached: every reading repeats its container's number, and the check costs more than
    the rest of a reading's validation (valid numbers only: failures raise, uncached).
    """
    number = iso6346.compact(value)
    if not _EQUIPMENT_REFERENCE.fullmatch(number):
        raise PydanticCustomError(
            "iso6346_format",
            "must be an ISO 6346 container number: 3-letter owner code, category U, J, Z or R, "
            "6-digit serial and check digit (e.g. MSKU9070323)",
        )
    expected = _check_digit(number)
    if number[10] != expected:
        raise PydanticCustomError(
            "iso6346_check_digit",
            f"ISO 6346 check digit should be {expected}, not {number[10]}",
        )
    return number


_ISO6346_VALUES: Final = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"
"""Each character's value is its index (the gaps skip the multiples of 11), as stdnum's
``iso6346`` has it; its ``validate`` costs four times this (it compacts the number again)."""


def _check_digit(number: str) -> str:
    """The ISO 6346 check digit of a compact number's first ten characters."""
    total = sum(_ISO6346_VALUES.index(char) << place for place, char in enumerate(number[:10]))
    return str(total % 11 % 10)


def _size_type_code(value: str, info: ValidationInfo) -> str:
    reference = _reference(info)
    if reference is None:
        return value
    try:
        size_type(value, reference)
    except ValueError as exc:
        raise PydanticCustomError("iso_size_type", str(exc)) from None
    return value


def _known(what: str, table: Callable[[Reference], Mapping[str, object]]) -> AfterValidator:
    """A validator that accepts only keys of one reference table (corridors, places, ...)."""

    def check(value: str, info: ValidationInfo) -> str:
        reference = _reference(info)
        if reference is None:
            return value
        known = table(reference)
        if value not in known:
            raise PydanticCustomError(
                f"unknown_{what}", f"unknown {what} {value!r:.40} (known: {', '.join(known)})"
            )
        return value

    native_checks.register(check, lambda ref, schema: native_checks.one_of(schema, table(ref)))
    return AfterValidator(check)


def _within(limits: Callable[[Reference], NumericRange]) -> AfterValidator:
    """A validator that accepts only values inside one of the reference's plausible ranges."""

    def check(value: float, info: ValidationInfo) -> float:
        reference = _reference(info)
        if reference is None:
            return value
        allowed = limits(reference)
        if value not in allowed:
            raise PydanticCustomError(
                "implausible", f"must be between {allowed.min:g} and {allowed.max:g}"
            )
        return value

    native_checks.register(check, lambda ref, schema: native_checks.within(schema, limits(ref)))
    return AfterValidator(check)


# The descriptions reach the JSON Schema (lugang/contract_schema.py): they say what the
# validators check beyond the type, which a JSON Schema cannot express.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128)]
EventTime = Annotated[
    datetime,
    AfterValidator(_aware),
    AfterValidator(_shared_zone),
    Field(description="RFC 3339 time with a UTC offset, e.g. 2026-03-15T09:20:00+08:00"),
]
EquipmentReference = Annotated[
    str,
    AfterValidator(_equipment_reference),
    Field(description="ISO 6346 container number with a valid check digit, e.g. MSKU9070323"),
]
SizeTypeCode = Annotated[
    str,
    AfterValidator(_size_type_code),
    Field(description="ISO 6346 size-type code whose length code the reference knows: 22G1, 45R1"),
]
CorridorId = Annotated[
    str,
    _known("corridor", lambda ref: ref.corridors),
    Field(description="a corridor of the reference configuration, e.g. HHW-QZH"),
]
LocationCode = Annotated[
    str,
    _known("location", lambda ref: ref.places),
    Field(description="a place of the reference configuration: HHW or a UN/LOCODE"),
]
CommodityName = Annotated[
    str,
    _known("commodity", lambda ref: ref.commodities),
    Field(description="a commodity of the reference configuration, e.g. citrus, durian"),
]
Wagons = Annotated[
    int,
    _within(lambda ref: ref.ranges.wagons),
    Field(description="count within the reference's ranges.wagons"),
]
GrossWeightKg = Annotated[
    float,
    _within(lambda ref: ref.ranges.gross_weight_kg),
    Field(description="kg within the reference's ranges.gross_weight_kg"),
]
TemperatureC = Annotated[
    float,
    _within(lambda ref: ref.ranges.temperature_c),
    Field(description="°C within the reference's ranges.temperature_c"),
]
HumidityPct = Annotated[
    float,
    _within(lambda ref: ref.ranges.humidity_pct),
    Field(description="relative humidity (%) within the reference's ranges.humidity_pct"),
]


def _check_route(
    reference: Reference, corridor_id: str, location: str, direction: Direction, event_type: str
) -> None:
    """Enforce the route rule of the module docstring for one train or container move."""
    home = reference.home.location
    far_end = reference.corridor(corridor_id).far_end(home)
    if location not in (home, far_end):
        raise PydanticCustomError(
            "off_corridor",
            f"location: a {event_type} on {corridor_id} happens at {home} or {far_end}, "
            f"not {location}",
        )
    leaves = event_type in ("DEPA", "LOAD")
    expected = "OUTBOUND" if (location == home) == leaves else "INBOUND"
    if direction != expected:
        raise PydanticCustomError(
            "direction_mismatch",
            f"direction: a {event_type} at {location} on {corridor_id} is {expected}, "
            f"not {direction}",
        )


class _Contract(BaseModel):
    """Base of the contract models: immutable, strict types, unknown fields refused."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", allow_inf_nan=False)


class TrainEvent(_Contract):
    """A train departs (``DEPA``) or arrives (``ARRI``) at one end of its corridor."""

    event_id: Identifier
    event_type: TrainEventType
    train_id: Identifier
    corridor: CorridorId
    location: LocationCode
    direction: Direction
    event_time: EventTime
    wagons: Wagons | None = None

    @model_validator(mode="after")
    def _on_route(self, info: ValidationInfo) -> Self:
        reference = _reference(info)
        if reference is not None:
            _check_route(reference, self.corridor, self.location, self.direction, self.event_type)
        return self

    @property
    def entity_key(self) -> str:
        """The Kafka key of this event."""
        return self.train_id

    @property
    def occurred_at(self) -> datetime:
        return self.event_time


class ContainerEvent(_Contract):
    """A container is loaded onto (``LOAD``) or discharged from (``DISC``) a train, or
    passes the terminal gate (``GTIN``/``GTOT``). Train moves need train, corridor and
    direction, and follow the route rule."""

    event_id: Identifier
    event_type: ContainerEventType
    equipment_reference: EquipmentReference
    iso_equipment_code: SizeTypeCode
    empty_indicator: EmptyIndicator
    train_id: Identifier | None = None
    corridor: CorridorId | None = None
    direction: Direction | None = None
    location: LocationCode
    event_time: EventTime
    gross_weight_kg: GrossWeightKg | None = None
    commodity: CommodityName | None = None

    @model_validator(mode="after")
    def _train_move_complete(self, info: ValidationInfo) -> Self:
        if self.event_type not in ("LOAD", "DISC"):
            return self
        if self.train_id is None or self.corridor is None or self.direction is None:
            fields = {
                "train_id": self.train_id,
                "corridor": self.corridor,
                "direction": self.direction,
            }
            missing = ", ".join(name for name, value in fields.items() if value is None)
            raise PydanticCustomError(
                "train_move_incomplete", f"{missing}: required for {self.event_type}"
            )
        reference = _reference(info)
        if reference is not None:
            _check_route(reference, self.corridor, self.location, self.direction, self.event_type)
        return self

    @property
    def entity_key(self) -> str:
        """The Kafka key of this event."""
        return self.equipment_reference

    @property
    def occurred_at(self) -> datetime:
        return self.event_time


class ReeferReading(_Contract):
    """One telemetry reading of a reefer unit. Without ``commodity`` it takes the
    commodity of the container's latest movement."""

    event_id: Identifier
    equipment_reference: EquipmentReference
    reading_time: EventTime
    setpoint_c: TemperatureC
    supply_air_c: TemperatureC
    return_air_c: TemperatureC | None = None
    humidity_pct: HumidityPct | None = None
    power_on: bool
    commodity: CommodityName | None = None
    corridor: CorridorId | None = None

    @property
    def entity_key(self) -> str:
        """The Kafka key of this reading."""
        return self.equipment_reference

    @property
    def occurred_at(self) -> datetime:
        return self.reading_time


Event = TrainEvent | ContainerEvent | ReeferReading

EVENT_MODELS: Final[Mapping[str, type[TrainEvent] | type[ContainerEvent] | type[ReeferReading]]] = {
    "trains": TrainEvent,
    "containers": ContainerEvent,
    "reefer": ReeferReading,
}
"""The model of each input topic kind."""
TOPIC_KINDS: Final = tuple(EVENT_MODELS)
"""The kinds of event topic; real topic names are configurable."""


def parse_event(topic_kind: str, value: bytes, reference: Reference | None = None) -> Event:
    """Validate one message value (UTF-8 JSON) from a topic of the given kind.

    Raises:
        InvalidEvent: for any failure: unknown topic kind, bad JSON, a JSON value that is
            not an object, or a record that breaks the contract.
    """
    model = EVENT_MODELS.get(topic_kind)
    if model is None:
        raise InvalidEvent(
            f"unknown topic kind {topic_kind!r} (expected one of {', '.join(TOPIC_KINDS)})"
        )
    context = None if reference is None else {"reference": reference}
    if reference is not None:
        try:  # the reference's checks run by pydantic-core (lugang.native_checks)
            event: Event = native_checks.validator_for(model, reference).validate_json(
                value, context=context
            )
            return event
        except ValidationError:
            pass  # the contract's own validators say why, in its words
    try:
        return model.model_validate_json(value, context=context)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc)) from None


RAW_BYTES_LIMIT: Final = 400_000
"""Most characters a dead letter's value (or key) takes in its JSON: Kafka refuses a message
over ``message.max.bytes`` (1 MB by default), and a dead letter the broker refuses would stop
the agent that sends it."""


class RawBytes(_Contract):
    """Bytes kept exactly: valid UTF-8 as text, anything else (or text whose JSON escapes
    would make it too long) base64-encoded. Bytes too long even so keep a prefix, with the
    original ``size`` and ``sha256``: the original stays in its topic, at the dead letter's
    partition and offset."""

    encoding: Literal["utf-8", "base64"]
    data: str
    truncated: bool = False
    size: int | None = None
    """Length of the original bytes, when ``truncated``."""
    sha256: str | None = None
    """SHA-256 of the original bytes (hex), when ``truncated``."""

    @classmethod
    def of(cls, raw: bytes, limit: int = RAW_BYTES_LIMIT) -> Self:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and len(orjson.dumps(text)) <= limit:
            return cls(encoding="utf-8", data=text)
        if len(raw) * 4 // 3 + 4 <= limit:
            return cls(encoding="base64", data=base64.b64encode(raw).decode("ascii"))
        prefix = raw[: limit * 3 // 4]
        return cls(
            encoding="base64",
            data=base64.b64encode(prefix).decode("ascii"),
            truncated=True,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
        )

    def to_bytes(self) -> bytes:
        """The original bytes (their prefix, when ``truncated``)."""
        return (
            self.data.encode("utf-8") if self.encoding == "utf-8" else base64.b64decode(self.data)
        )


class DeadLetter(_Contract):
    """A message that failed validation, unchanged, with why and where it came from.

    ``topic`` is the topic the message was read from or meant for. A message consumed
    from Kafka has its ``partition`` and ``offset``; one rejected before it was ever
    produced (by the simulator or a replay) has none, and ``source`` says where it came
    from instead (``simulator``, or ``FILE:N`` for the Nth record of a recording); a point
    InfluxDB refused for good has ``source`` ``influxdb`` and the internal points topic.
    """

    value: RawBytes
    key: RawBytes | None
    reason: str
    topic: str
    partition: int | None = Field(default=None, ge=0)
    offset: int | None = Field(default=None, ge=0)
    source: str | None = None
    dead_lettered_at: EventTime


class ColdChainException(_Contract):
    """A cold-chain exception of one container, opened and later closed.

    ``exception_id`` must equal :func:`exception_id` of the container, kind and start.
    """

    exception_id: str
    kind: ExceptionKind
    equipment_reference: EquipmentReference
    commodity: CommodityName | None = None
    corridor: CorridorId | None = None
    started_at: EventTime
    ended_at: EventTime | None = None
    peak_deviation_c: float | None = None
    duration_s: float | None = Field(default=None, ge=0)
    status: ExceptionStatus

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        expected = exception_id(self.equipment_reference, self.kind, self.started_at)
        if self.exception_id != expected:
            raise PydanticCustomError("exception_id", f"exception_id: must be {expected}")
        if (self.status == "CLOSED") != (self.ended_at is not None):
            raise PydanticCustomError(
                "ended_at", "ended_at: required when CLOSED, absent when OPEN"
            )
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise PydanticCustomError("ended_at", "ended_at: must not be before started_at")
        return self
