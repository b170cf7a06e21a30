"""Malformed records: the ways a faulty producer or gateway gets a message wrong.

Each fault turns a valid event into bytes that :func:`lugang.contract.parse_event`
refuses, so the stream application's dead-letter path sees a varied corpus: broken
container numbers, unknown codes, naive timestamps, missing fields, wrong JSON types,
implausible values, bytes that are not JSON at all, and so on.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

import orjson

from lugang.contract import ContainerEvent, ReeferReading, TrainEvent
from lugang.reference import NumericRange, Reference

Value = dict[str, object]
Fault = Callable[[str, Value, random.Random, Reference], bytes | None]
"""Corrupts one event (topic kind, fields) into message bytes; ``None`` when the fault does
not apply to this event."""

_REQUIRED: Final = {
    topic: tuple(name for name, field in model.model_fields.items() if field.is_required())
    for topic, model in (
        ("trains", TrainEvent),
        ("containers", ContainerEvent),
        ("reefer", ReeferReading),
    )
}
_TIME_FIELDS: Final = ("event_time", "reading_time")


def _with(value: Value, **changes: object) -> bytes:
    return orjson.dumps({**value, **changes})


def _bad_check_digit(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes | None:
    number = value.get("equipment_reference")
    if not isinstance(number, str):
        return None
    digit = (int(number[-1]) + rng.randint(1, 9)) % 10
    return _with(value, equipment_reference=f"{number[:-1]}{digit}")


def _unknown_corridor(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    return _with(value, corridor=rng.choice(("HHW-BKK", "QZH-HHW", "hhw-qzh")))


def _naive_timestamp(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    name = next(name for name in _TIME_FIELDS if name in value)
    return _with(value, **{name: str(value[name])[:19]})


def _missing_field(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    dropped = rng.choice([name for name in _REQUIRED[topic] if name in value])
    return orjson.dumps({name: v for name, v in value.items() if name != dropped})


def _wrong_type(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    """A string sent as a number (its digits), a number or a boolean sent as a string."""
    name = rng.choice(list(value))
    current = value[name]
    if isinstance(current, str):
        changed: object = int("".join(filter(str.isdigit, current)) or "0")
    else:
        changed = orjson.dumps(current).decode()
    return _with(value, **{name: changed})


def _outside(limits: NumericRange, rng: random.Random) -> float:
    if rng.random() < 0.5:
        return limits.max + max(1.0, abs(limits.max))
    return limits.min - max(1.0, abs(limits.min))


def _implausible(topic: str, value: Value, rng: random.Random, reference: Reference) -> bytes:
    ranges = reference.ranges
    if topic == "trains":
        return _with(value, wagons=round(_outside(ranges.wagons, rng)))
    if topic == "containers":
        return _with(value, gross_weight_kg=_outside(ranges.gross_weight_kg, rng))
    return _with(value, supply_air_c=_outside(ranges.temperature_c, rng))


def _unknown_field(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    return _with(value, **{rng.choice(("remarks", "temperature_f", "seal_number")): "n/a"})


def _unknown_code(topic: str, value: Value, rng: random.Random, reference: Reference) -> bytes:
    if topic == "trains":
        return _with(value, event_type=rng.choice(("DEPARTED", "PASS")))
    if topic == "containers":
        return _with(value, iso_equipment_code=rng.choice(("95G1", "M5G1", "22X")))
    unknown = [name for name in ("lychee", "apples") if name not in reference.commodities]
    return _with(value, commodity=unknown[0] if unknown else "?")


def _wrong_direction(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes | None:
    direction = value.get("direction")
    if direction is None:
        return None
    return _with(value, direction="INBOUND" if direction == "OUTBOUND" else "OUTBOUND")


def _not_json(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    """A legacy gateway's semicolon-separated line in GB 18030 (not even UTF-8)."""
    return ";".join(["事件", *map(str, value.values())]).encode("gb18030")


def _truncated(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    raw = orjson.dumps(value)
    return raw[: rng.randint(1, len(raw) - 1)]


def _not_object(topic: str, value: Value, rng: random.Random, _: Reference) -> bytes:
    return orjson.dumps(list(value.values()))


FAULTS: Final[dict[str, Fault]] = {
    "bad_check_digit": _bad_check_digit,
    "unknown_corridor": _unknown_corridor,
    "naive_timestamp": _naive_timestamp,
    "missing_field": _missing_field,
    "wrong_type": _wrong_type,
    "implausible_value": _implausible,
    "unknown_field": _unknown_field,
    "unknown_code": _unknown_code,
    "wrong_direction": _wrong_direction,
    "not_json": _not_json,
    "truncated_json": _truncated,
    "not_an_object": _not_object,
}
"""The corpus, by name (the name is the tally key ``malformed:<name>``)."""


def corrupt(
    topic: str, value: Value, rng: random.Random, reference: Reference
) -> tuple[str, bytes]:
    """A malformed version of a valid event, by a fault chosen at random among those that
    apply to it; returns the fault's name and the message bytes."""
    candidates = [
        (name, raw)
        for name, fault in FAULTS.items()
        if (raw := fault(topic, value, rng, reference)) is not None
    ]
    return rng.choice(candidates)
