"""The event contract: domain §5 examples, ISO 6346 checks, and a corpus of bad records."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from stdnum import iso6346

from lugang.contract import (
    TOPIC_KINDS,
    ContainerEvent,
    InvalidEvent,
    ReeferReading,
    TrainEvent,
    parse_event,
)
from lugang.reference import (
    NumericRange,
    default_reference,
)

# The three examples of domain.md §5 (one line break moved to stay within 100 columns).
TRAIN_EXAMPLE = """{"event_id": "…", "event_type": "DEPA", "train_id": "X9001",
 "corridor": "HHW-QZH", "location": "HHW", "direction": "OUTBOUND",
 "event_time": "2026-03-15T09:20:00+08:00", "wagons": 50}""".encode()
CONTAINER_EXAMPLE = """{"event_id": "…", "event_type": "LOAD", "equipment_reference": "MSKU9070323",
 "iso_equipment_code": "45R1", "empty_indicator": "LADEN", "train_id": "X9001",
 "corridor": "HHW-QZH", "direction": "OUTBOUND", "location": "HHW",
 "event_time": "2026-03-15T07:55:00+08:00", "gross_weight_kg": 28500,
 "commodity": "citrus"}""".encode()
READING_EXAMPLE = """{"event_id": "…", "equipment_reference": "MSKU9070323", "reading_time":
 "2026-03-15T08:05:00+08:00", "setpoint_c": 6.0, "supply_air_c": 6.4,
 "return_air_c": 7.1, "humidity_pct": 90, "power_on": true, "commodity": "citrus",
 "corridor": "HHW-QZH"}""".encode()

TRAIN: dict[str, object] = orjson.loads(TRAIN_EXAMPLE)
CONTAINER: dict[str, object] = orjson.loads(CONTAINER_EXAMPLE)
READING: dict[str, object] = orjson.loads(READING_EXAMPLE)
DROP = object()
"""Marks a field to leave out in :func:`record`."""

CST = timezone(timedelta(hours=8))


def record(base: dict[str, object], **changes: object) -> bytes:
    """``base`` as JSON bytes, with fields replaced, added, or left out (``DROP``)."""
    merged = {**base, **changes}
    return orjson.dumps({name: value for name, value in merged.items() if value is not DROP})


def train(**changes: object) -> bytes:
    return record(TRAIN, **changes)


def container(**changes: object) -> bytes:
    return record(CONTAINER, **changes)


def reading(**changes: object) -> bytes:
    return record(READING, **changes)


def test_domain_examples_parse() -> None:
    """The three §5 examples are valid, with keys and times read as documented."""
    train = parse_event("trains", TRAIN_EXAMPLE)
    assert isinstance(train, TrainEvent)
    assert (train.entity_key, train.wagons) == ("X9001", 50)
    assert train.occurred_at == datetime(2026, 3, 15, 1, 20, tzinfo=UTC)

    container = parse_event("containers", CONTAINER_EXAMPLE)
    assert isinstance(container, ContainerEvent)
    assert container.entity_key == "MSKU9070323"
    assert container.gross_weight_kg == 28500
    assert container.occurred_at == datetime(2026, 3, 15, 7, 55, tzinfo=CST)

    reading = parse_event("reefer", READING_EXAMPLE)
    assert isinstance(reading, ReeferReading)
    assert reading.entity_key == "MSKU9070323"
    assert reading.occurred_at == reading.reading_time == datetime(2026, 3, 15, 8, 5, tzinfo=CST)
    assert (reading.humidity_pct, reading.power_on) == (90, True)


def test_topic_kinds() -> None:
    assert TOPIC_KINDS == ("trains", "containers", "reefer")


@pytest.mark.parametrize(
    ("changes", "utc_offset"),
    [
        ({"event_time": "2026-03-15T01:20:00Z"}, timedelta(0)),
        ({"event_time": "2026-03-15T03:20:00+02:00"}, timedelta(hours=2)),
        ({"event_time": "2026-03-15 09:20:00+08:00"}, timedelta(hours=8)),
    ],
)
def test_rfc3339_times_keep_their_offset(changes: dict[str, object], utc_offset: timedelta) -> None:
    """Times parse from RFC 3339 strings in strict mode and keep the offset they carry."""
    event = parse_event("trains", train(**changes))
    assert event.occurred_at.utcoffset() == utc_offset
    assert event.occurred_at == datetime(2026, 3, 15, 1, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        pytest.param("trains", {"wagons": DROP}, id="train-without-wagons"),
        pytest.param(
            "trains",
            {"event_type": "ARRI", "location": "CNQZH"},
            id="outbound-arrival-at-far-end",
        ),
        pytest.param(
            "trains",
            {"event_type": "DEPA", "location": "CNQZH", "direction": "INBOUND"},
            id="inbound-departure-from-far-end",
        ),
        pytest.param(
            "trains",
            {"corridor": "WUH-HHW", "event_type": "ARRI", "direction": "INBOUND"},
            id="collecting-train-arrives",
        ),
        pytest.param(
            "trains",
            {"corridor": "WUH-HHW", "location": "CNWUH", "direction": "INBOUND"},
            id="collecting-train-leaves-wuhan",
        ),
        pytest.param(
            "containers",
            {"event_type": "DISC", "direction": "INBOUND", "commodity": DROP},
            id="discharge-at-home",
        ),
        pytest.param(
            "containers",
            {"event_type": "GTIN", "train_id": DROP, "corridor": DROP, "direction": DROP},
            id="gate-in-without-train",
        ),
        pytest.param(
            "containers",
            {"equipment_reference": "msku 907032 3", "empty_indicator": "EMPTY"},
            id="lower-case-with-spaces",
        ),
        pytest.param("containers", {"iso_equipment_code": "L5R1"}, id="45ft-reefer"),
        pytest.param(
            "reefer",
            {"return_air_c": DROP, "humidity_pct": DROP, "commodity": DROP, "corridor": DROP},
            id="reading-minimal",
        ),
        pytest.param(
            "reefer", {"supply_air_c": -40, "power_on": False}, id="reading-at-range-edge"
        ),
    ],
)
def test_valid_variants(kind: str, changes: dict[str, object]) -> None:
    """Optional fields may be left out, and both ends of a corridor are valid places."""
    base = {"trains": TRAIN, "containers": CONTAINER, "reefer": READING}[kind]
    parse_event(kind, record(base, **changes))


def test_equipment_reference_is_normalised() -> None:
    """Container numbers are stored in upper case without spaces."""
    event = parse_event("containers", container(equipment_reference=" msku 907032 3"))
    assert isinstance(event, ContainerEvent)
    assert event.equipment_reference == "MSKU9070323"


BAD_RECORDS = [
    # Not a record at all.
    pytest.param("trains", b'{"event_id": ', "Invalid JSON", id="truncated-json"),
    pytest.param("reefer", b"\xff\xfe{}", "Invalid JSON", id="not-utf8"),
    pytest.param("trains", b"[1, 2]", "Input should be an object", id="json-array"),
    pytest.param("containers", b'"LOAD"', "Input should be an object", id="json-string"),
    pytest.param("ships", TRAIN_EXAMPLE, "unknown topic kind 'ships'", id="unknown-topic-kind"),
    # Train events.
    pytest.param(
        "trains",
        train(event_type="DEPART"),
        "event_type: Input should be 'DEPA' or 'ARRI'",
        id="event-type",
    ),
    pytest.param(
        "trains",
        train(event_id=""),
        "event_id: String should have at least 1 character",
        id="empty-id",
    ),
    pytest.param("trains", train(train_id=DROP), "train_id: Field required", id="missing-train-id"),
    pytest.param(
        "trains", train(speed=80), "speed: Extra inputs are not permitted", id="extra-field"
    ),
    pytest.param(
        "trains",
        train(corridor="HHW-XXX"),
        "corridor: unknown corridor 'HHW-XXX'",
        id="unknown-corridor",
    ),
    pytest.param(
        "trains",
        train(location="CNSHA"),
        "location: unknown location 'CNSHA'",
        id="unknown-location",
    ),
    pytest.param(
        "trains",
        train(direction="NORTH"),
        "direction: Input should be 'OUTBOUND' or 'INBOUND'",
        id="direction-value",
    ),
    pytest.param(
        "trains",
        train(event_time="2026-03-15T09:20:00"),
        "event_time: needs a UTC offset",
        id="naive-time",
    ),
    pytest.param(
        "trains",
        train(event_time="yesterday"),
        "event_time: Input should be a valid datetime",
        id="time-word",
    ),
    pytest.param(
        "trains",
        train(event_time=1773537600),
        "event_time: Input should be a valid datetime",
        id="time-epoch",
    ),
    pytest.param(
        "trains",
        train(wagons="50"),
        "wagons: Input should be a valid integer (got '50')",
        id="wagons-string",
    ),
    pytest.param(
        "trains", train(wagons=50.0), "wagons: Input should be a valid integer", id="wagons-float"
    ),
    pytest.param(
        "trains", train(wagons=True), "wagons: Input should be a valid integer", id="wagons-bool"
    ),
    pytest.param(
        "trains", train(wagons=0), "wagons: must be between 1 and 120 (got 0)", id="wagons-zero"
    ),
    pytest.param(
        "trains", train(wagons=500), "wagons: must be between 1 and 120 (got 500)", id="wagons-many"
    ),
    pytest.param(
        "trains",
        train(direction="INBOUND"),
        "direction: a DEPA at HHW on HHW-QZH is OUTBOUND, not INBOUND",
        id="depa-home-inbound",
    ),
    pytest.param(
        "trains",
        train(event_type="ARRI"),
        "direction: a ARRI at HHW on HHW-QZH is INBOUND, not OUTBOUND",
        id="arri-home-outbound",
    ),
    pytest.param(
        "trains",
        train(location="CNZNG"),
        "location: a DEPA on HHW-QZH happens at HHW or CNQZH, not CNZNG",
        id="off-corridor",
    ),
    pytest.param(
        "trains",
        train(corridor="HHW-VTE", location="CNMHN"),
        "location: a DEPA on HHW-VTE happens at HHW or LAVTE",
        id="border-point",
    ),
    # Container events.
    pytest.param(
        "containers",
        container(equipment_reference="MSKU9070324"),
        "equipment_reference: ISO 6346 check digit should be 3, not 4 (got 'MSKU9070324')",
        id="check-digit",
    ),
    pytest.param(
        "containers",
        container(equipment_reference="MSK9070323"),
        "equipment_reference: must be an ISO 6346 container number",
        id="owner-code",
    ),
    pytest.param(
        "containers",
        container(equipment_reference="MSKX9070323"),
        "equipment_reference: must be an ISO 6346 container number",
        id="category-letter",
    ),
    pytest.param(
        "containers",
        container(equipment_reference=9070323),
        "equipment_reference: Input should be a valid string",
        id="reference-number",
    ),
    pytest.param(
        "containers",
        container(iso_equipment_code="95R1"),
        "iso_equipment_code: unknown ISO 6346 length code '9' in '95R1'",
        id="length-code",
    ),
    pytest.param(
        "containers",
        container(iso_equipment_code="45R"),
        "iso_equipment_code: '45R' is not an ISO 6346 size-type code",
        id="size-type-short",
    ),
    pytest.param(
        "containers",
        container(empty_indicator="FULL"),
        "empty_indicator: Input should be 'LADEN' or 'EMPTY'",
        id="empty-indicator",
    ),
    pytest.param(
        "containers",
        container(event_type="LIFT"),
        "event_type: Input should be 'LOAD', 'DISC', 'GTIN' or 'GTOT'",
        id="container-event-type",
    ),
    pytest.param(
        "containers",
        container(train_id=DROP, direction=DROP),
        "train_id, direction: required for LOAD",
        id="load-without-train",
    ),
    pytest.param(
        "containers",
        container(event_type="DISC"),
        "direction: a DISC at HHW on HHW-QZH is INBOUND, not OUTBOUND",
        id="disc-home-outbound",
    ),
    pytest.param(
        "containers",
        container(gross_weight_kg="28500"),
        "gross_weight_kg: Input should be a valid number (got '28500')",
        id="weight-string",
    ),
    pytest.param(
        "containers",
        container(gross_weight_kg=60000),
        "gross_weight_kg: must be between 0 and 45000 (got 60000)",
        id="weight-heavy",
    ),
    pytest.param(
        "containers",
        container(commodity="apple"),
        "commodity: unknown commodity 'apple'",
        id="unknown-commodity",
    ),
    # Reefer readings.
    pytest.param(
        "reefer",
        READING_EXAMPLE.replace(b"6.4", b"NaN"),
        "supply_air_c: Input should be a finite number",
        id="nan",
    ),
    pytest.param(
        "reefer",
        reading(supply_air_c=None),
        "supply_air_c: Input should be a valid number",
        id="null-temperature",
    ),
    pytest.param(
        "reefer",
        reading(setpoint_c=-60),
        "setpoint_c: must be between -40 and 40 (got -60)",
        id="setpoint-range",
    ),
    pytest.param(
        "reefer",
        reading(humidity_pct=120),
        "humidity_pct: must be between 0 and 100 (got 120)",
        id="humidity-range",
    ),
    pytest.param(
        "reefer",
        reading(power_on="true"),
        "power_on: Input should be a valid boolean (got 'true')",
        id="power-string",
    ),
    pytest.param(
        "reefer",
        reading(power_on=1),
        "power_on: Input should be a valid boolean (got 1)",
        id="power-int",
    ),
    pytest.param(
        "reefer",
        reading(reading_time="2026-03-15T08:05:00"),
        "reading_time: needs a UTC offset",
        id="reading-naive",
    ),
    pytest.param(
        "reefer",
        reading(event_time="2026-03-15T08:05:00+08:00"),
        "event_time: Extra inputs are not permitted",
        id="reading-event-time",
    ),
]


@pytest.mark.parametrize(("kind", "value", "expected"), BAD_RECORDS)
def test_bad_records_are_rejected_with_a_reason(kind: str, value: bytes, expected: str) -> None:
    """Every bad record raises InvalidEvent with a one-line reason naming field and fault."""
    with pytest.raises(InvalidEvent) as caught:
        parse_event(kind, value)
    assert expected in caught.value.reason
    assert "\n" not in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_several_faults_are_reported_together() -> None:
    """One reason lists every failing field, separated by semicolons."""
    with pytest.raises(InvalidEvent) as caught:
        parse_event("trains", train(wagons="50", corridor="X"))
    assert caught.value.reason.count("; ") == 1
    assert "corridor: unknown corridor 'X'" in caught.value.reason


def test_validation_context_overrides_the_default_reference() -> None:
    """A reference passed to parse_event is used instead of the packaged one."""
    reference = default_reference()
    narrow = reference.model_copy(
        update={
            "ranges": reference.ranges.model_copy(update={"wagons": NumericRange(min=1, max=40)})
        }
    )
    with pytest.raises(InvalidEvent, match="wagons: must be between 1 and 40"):
        parse_event("trains", TRAIN_EXAMPLE, narrow)
    parse_event("trains", TRAIN_EXAMPLE)


def test_python_construction_rejects_naive_datetimes() -> None:
    """Models built in Python are held to the same rules as wire data."""
    with pytest.raises(ValidationError, match="needs a UTC offset"):
        TrainEvent(
            event_id="e1",
            event_type="DEPA",
            train_id="X9001",
            corridor="HHW-QZH",
            location="HHW",
            direction="OUTBOUND",
            event_time=datetime(2026, 3, 15, 9, 20),  # noqa: DTZ001 - naive on purpose
        )


owner_codes = st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)
categories = st.sampled_from("UJZR")
serials = st.text(alphabet=string.digits, min_size=6, max_size=6)


@given(owner=owner_codes, category=categories, serial=serials)
def test_iso6346_numbers_with_their_check_digit_are_accepted(
    owner: str, category: str, serial: str
) -> None:
    """Any owner code, category and serial with the stdnum check digit is accepted."""
    number = owner + category + serial
    number += iso6346.calc_check_digit(number)
    event = parse_event("containers", container(equipment_reference=number.lower()))
    assert event.entity_key == number


@given(owner=owner_codes, category=categories, serial=serials, data=st.data())
def test_iso6346_wrong_check_digit_is_rejected(
    owner: str, category: str, serial: str, data: st.DataObject
) -> None:
    """Any other check digit is rejected with a reason that names the check digit."""
    number = owner + category + serial
    right = iso6346.calc_check_digit(number)
    wrong = data.draw(st.sampled_from([d for d in string.digits if d != right]))
    with pytest.raises(InvalidEvent) as caught:
        parse_event("containers", container(equipment_reference=number + wrong))
    assert caught.value.reason.startswith("equipment_reference: ISO 6346 check digit")
    assert f"should be {right}, not {wrong}" in caught.value.reason


def test_a_huge_value_makes_a_dead_letter_kafka_takes() -> None:
    """Issue 10 #4: a 900 kB value of control characters (5.4 MB JSON-escaped) or of random
    bytes made a dead letter the broker refused, and the agent died. A value too long keeps
    a prefix, its size and SHA-256; the original stays in its topic."""
    import hashlib
    import random

    from lugang.contract import RAW_BYTES_LIMIT, DeadLetter, RawBytes

    for raw in (b"\x01" * 900_000, random.Random(1).randbytes(900_000), b"\x02" * 100_000):
        letter = DeadLetter(
            value=RawBytes.of(raw),
            key=RawBytes.of(b"TTNU1000003"),
            reason="x",
            topic="reefer",
            partition=0,
            offset=7,
            dead_lettered_at=datetime(2026, 3, 15, tzinfo=UTC),
        )
        size = len(letter.model_dump_json())
        assert size < 2 * RAW_BYTES_LIMIT < 1_000_000
        value = letter.value
        if value.truncated:
            assert value.size == len(raw)
            assert value.sha256 == hashlib.sha256(raw).hexdigest()
            assert raw.startswith(value.to_bytes())
        else:
            assert value.to_bytes() == raw
    assert RawBytes.of(b'{"ok": 1}') == RawBytes(encoding="utf-8", data='{"ok": 1}')
