"""The contract's size-type codes and the records Lugang writes itself: ISO 6346 size and
type codes decoded by the reference, dead letters that keep the raw message, and
cold-chain exceptions with their stable ids."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lugang.contract import (
    ColdChainException,
    DeadLetter,
    RawBytes,
    exception_id,
    size_type,
)
from lugang.reference import LengthCode, default_reference, describe_validation_error

CST = timezone(timedelta(hours=8))


LENGTHS = {"2": (20, 1.0), "4": (40, 2.0), "L": (45, 2.0)}
size_codes = st.tuples(
    st.sampled_from(sorted(LENGTHS)),
    st.sampled_from(string.digits + string.ascii_uppercase),
    st.sampled_from(string.ascii_uppercase),
    st.sampled_from(string.digits),
).map("".join)


@given(code=size_codes)
def test_size_type_codes_map_to_length_teu_and_reefer(code: str) -> None:
    """The first character gives length and TEU; type group R marks a reefer."""
    decoded = size_type(code)
    assert (decoded.length_ft, decoded.teu) == LENGTHS[code[0]]
    assert decoded.is_reefer == (code[2] == "R")
    assert decoded.code == code


@given(code=size_codes, length=st.sampled_from("013569ABCDEFGHKMNPZ"))
def test_unknown_length_codes_are_rejected(code: str, length: str) -> None:
    """A length code the reference does not list is refused, naming the code."""
    with pytest.raises(ValueError, match=f"unknown ISO 6346 length code '{length}'"):
        size_type(length + code[1:])


@pytest.mark.parametrize(
    ("code", "length_ft", "teu", "is_reefer"),
    [("22G1", 20, 1, False), ("42G1", 40, 2, False), ("45G1", 40, 2, False), ("45R1", 40, 2, True),
     ("22R1", 20, 1, True), ("L5R1", 45, 2, True)],
)  # fmt: skip
def test_common_size_types(code: str, length_ft: int, teu: float, is_reefer: bool) -> None:
    """45R1 is a 40 ft high-cube reefer; only L5R1 is 45 ft."""
    assert size_type(code) == size_type(code, default_reference())
    decoded = size_type(code)
    assert (decoded.length_ft, decoded.teu, decoded.is_reefer) == (length_ft, teu, is_reefer)


def test_teu_of_45ft_follows_the_reference() -> None:
    """Statistics that count a 45 ft box as 2.25 TEU need only a config change."""
    reference = default_reference()
    codes = {**reference.length_codes, "L": LengthCode(length_ft=45, teu=2.25)}
    assert size_type("L5R1", reference.model_copy(update={"length_codes": codes})).teu == 2.25


@given(raw=st.binary(max_size=64))
def test_raw_bytes_round_trip(raw: bytes) -> None:
    """Dead-lettered bytes come back unchanged, whether or not they are UTF-8."""
    kept = RawBytes.of(raw)
    assert kept.to_bytes() == raw
    assert RawBytes.model_validate_json(kept.model_dump_json()).to_bytes() == raw


def test_dead_letter_keeps_the_message() -> None:
    """A dead letter records the unchanged value, key, reason, origin and time."""
    value = b'{"event_id": "e1", "wagons": "50"}'
    letter = DeadLetter(
        value=RawBytes.of(value),
        key=RawBytes.of(b"X9001"),
        reason="wagons: Input should be a valid integer (got '50')",
        topic="lugang.trains",
        partition=2,
        offset=41,
        dead_lettered_at=datetime(2026, 3, 15, 9, 21, tzinfo=CST),
    )
    assert letter.value.encoding == "utf-8"
    assert RawBytes.of(b"\xff").encoding == "base64"
    again = DeadLetter.model_validate_json(letter.model_dump_json())
    assert again == letter
    assert again.value.to_bytes() == value


def test_exception_id_is_the_same_for_every_offset() -> None:
    """Container + kind + start instant in UTC: replays with another offset match."""
    local = datetime(2026, 3, 15, 8, 5, tzinfo=CST)
    assert (
        exception_id("MSKU9070323", "HIGH", local) == "MSKU9070323:HIGH:2026-03-15T00:05:00+00:00"
    )
    assert exception_id("MSKU9070323", "HIGH", local) == exception_id(
        "MSKU9070323", "HIGH", local.astimezone(UTC)
    )
    assert exception_id("MSKU9070323", "LOW", local) != exception_id("MSKU9070323", "HIGH", local)


def cold_chain_exception(**changes: object) -> ColdChainException:
    start = datetime(2026, 3, 15, 8, 5, tzinfo=CST)
    fields: dict[str, object] = {
        "exception_id": exception_id("MSKU9070323", "HIGH", start),
        "kind": "HIGH",
        "equipment_reference": "MSKU9070323",
        "commodity": "citrus",
        "corridor": "HHW-QZH",
        "started_at": start,
        "ended_at": start + timedelta(minutes=42),
        "peak_deviation_c": 2.5,
        "duration_s": 2520.0,
        "status": "CLOSED",
        **changes,
    }
    return ColdChainException.model_validate(fields)


def test_cold_chain_exception_round_trips() -> None:
    exception = cold_chain_exception()
    assert ColdChainException.model_validate_json(exception.model_dump_json()) == exception
    assert cold_chain_exception(status="OPEN", ended_at=None, duration_s=None).ended_at is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"exception_id": "whatever"},
            "exception_id: must be MSKU9070323:HIGH:2026-03-15T00:05:00+00:00",
        ),
        ({"ended_at": None}, "ended_at: required when CLOSED"),
        ({"status": "OPEN"}, "absent when OPEN"),
        (
            {"ended_at": datetime(2026, 3, 15, 0, 0, tzinfo=UTC)},
            "ended_at: must not be before started_at",
        ),
        ({"kind": "WARM"}, "kind: Input should be"),
        ({"commodity": "apple"}, "commodity: unknown commodity"),
        ({"duration_s": -1.0}, "duration_s: Input should be greater than or equal to 0"),
    ],
)
def test_cold_chain_exception_rejects_inconsistency(
    changes: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        cold_chain_exception(**changes)
    assert expected in describe_validation_error(caught.value)
