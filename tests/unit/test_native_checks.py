"""The contract's reference checks compiled into pydantic-core (lugang/native_checks.py)
accept exactly what the contract's own validators accept, with the same values, and
``parse_event`` still gives the contract's reasons for what they refuse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lugang.contract import EVENT_MODELS, InvalidEvent, parse_event
from lugang.native_checks import validator_for
from lugang.reference import default_reference, describe_validation_error

REF = default_reference()
CONTEXT = {"reference": REF}

VALID: dict[str, dict[str, Any]] = {
    "reefer": {
        "event_id": "r-1",
        "equipment_reference": "MSKU9070323",
        "reading_time": "2026-03-15T09:20:00+08:00",
        "setpoint_c": 14.0,
        "supply_air_c": 13.8,
        "return_air_c": 15.1,
        "humidity_pct": 95.0,
        "power_on": True,
        "commodity": "durian",
        "corridor": "HHW-HAN",
    },
    "containers": {
        "event_id": "c-1",
        "event_type": "LOAD",
        "equipment_reference": "MSKU9070323",
        "iso_equipment_code": "45R1",
        "empty_indicator": "LADEN",
        "train_id": "X1",
        "corridor": "HHW-QZH",
        "direction": "OUTBOUND",
        "location": "HHW",
        "event_time": "2026-03-15T09:20:00+08:00",
        "gross_weight_kg": 25080.0,
        "commodity": "durian",
    },
    "trains": {
        "event_id": "t-1",
        "event_type": "DEPA",
        "train_id": "X1",
        "corridor": "HHW-QZH",
        "location": "HHW",
        "direction": "OUTBOUND",
        "event_time": "2026-03-15T09:20:00+08:00",
        "wagons": 50,
    },
}

_RANGES = REF.ranges
_BOUNDS = [
    _RANGES.temperature_c,
    _RANGES.humidity_pct,
    _RANGES.gross_weight_kg,
    _RANGES.wagons,
]
_EDGES: list[Any] = sorted(
    {edge + nudge for r in _BOUNDS for edge in (r.min, r.max) for nudge in (-0.001, 0.0, 0.001)}
)
_ODD: list[Any] = [
    None,
    True,
    0,
    -1,
    1e9,
    "12",
    "",
    "unknown",
    "HHW",
    "CNQZH",
    "HHW-QZH",
    "citrus",
    "2026-03-15T09:20:00",
    "2026-03-15T09:20:00Z",
    "2026-03-15T09:20:00.123456+08:00",
    "not a time",
    "MSKU9070324",
    "msku 907032 3",
    "22G1",
    "Z5R1",
    [],
    {},
]
_RAW_TOKENS = ["NaN", "Infinity", "-Infinity", "1e400"]


def _outcome(kind: str, value: bytes) -> tuple[str, Any]:
    """What the contract's own validator makes of ``value``: the event, or its reason."""
    try:
        return "event", EVENT_MODELS[kind].model_validate_json(value, context=CONTEXT)
    except ValidationError as exc:
        return "refused", describe_validation_error(exc)


def _fast(kind: str, value: bytes) -> tuple[str, Any]:
    try:
        return "event", validator_for(EVENT_MODELS[kind], REF).validate_json(value, context=CONTEXT)
    except ValidationError:
        return "refused", None


def _variants(kind: str) -> Iterator[bytes]:
    """The valid event of ``kind``, and each field of it replaced by an edge, odd or
    non-JSON value, or left out, and an unknown field added."""
    valid = VALID[kind]
    yield json.dumps(valid).encode()
    for field in valid:
        for odd in [*_EDGES, *_ODD]:
            yield json.dumps({**valid, field: odd}).encode()
        for token in _RAW_TOKENS:
            yield json.dumps({**valid, field: "@"}).replace('"@"', token).encode()
        yield json.dumps({k: v for k, v in valid.items() if k != field}).encode()
    yield json.dumps({**valid, "extra": 1}).encode()


@pytest.mark.parametrize("kind", list(VALID))
def test_the_compiled_checks_accept_what_the_contract_accepts(kind: str) -> None:
    """Over about 500 variants of each kind of event, some accepted by the contract."""
    accepted = 0
    for value in _variants(kind):
        verdict, event = _outcome(kind, value)
        assert _fast(kind, value) == (verdict, event if verdict == "event" else None), value
        if verdict == "event":
            accepted += 1
            assert parse_event(kind, value, REF) == event
        else:
            with pytest.raises(InvalidEvent) as refused:
                parse_event(kind, value, REF)
            assert refused.value.reason == event, value  # the contract's words
    assert accepted > 10


@settings(deadline=None, max_examples=300)
@given(
    st.sampled_from(["setpoint_c", "supply_air_c", "return_air_c", "humidity_pct"]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-200, max_value=200),
)
def test_a_reading_anywhere_around_its_ranges_is_judged_alike(field: str, value: float) -> None:
    raw = json.dumps({**VALID["reefer"], field: value}).encode()
    verdict, event = _outcome("reefer", raw)
    assert _fast("reefer", raw) == (verdict, event if verdict == "event" else None)


def test_another_reference_has_its_own_checks() -> None:
    """A place known to one reference only passes there: the checks are the reference's."""
    commodities = {name: p for name, p in REF.commodities.items() if name != "durian"}
    narrowed = REF.model_copy(update={"commodities": commodities})
    raw = json.dumps(VALID["reefer"]).encode()
    assert parse_event("reefer", raw, REF).commodity == "durian"  # type: ignore[union-attr]
    with pytest.raises(InvalidEvent, match="unknown commodity 'durian'"):
        parse_event("reefer", raw, narrowed)
