"""The dead-letter ledger: claims, marks, assignments (a fake archive), and the intake's
delivery through it."""

from __future__ import annotations

import asyncio

import pytest

from lugang.reference import default_reference
from streams import letters
from streams.agents.intake import Intake
from streams.agents.ports import PlainEvent, PlainMessage
from streams.letter_archive import source_of
from streams.letters import Found, LetterLedger, format_mark, parse_mark
from streams.state import PipelineCounters
from tests.fakes import MemoryOutbox

T = "reefer"


class FakeArchive:
    def __init__(self, *found: Found | Exception) -> None:
        self.found = list(found)
        self.asked: list[set[tuple[str, int]]] = []

    async def uncommitted_letters(self, partitions: set[tuple[str, int]]) -> Found:
        self.asked.append(partitions)
        found = self.found.pop(0)
        if isinstance(found, Exception):
            raise found
        return found


def assigned(ledger: LetterLedger, partitions: set[tuple[str, int]]) -> None:
    async def assign() -> None:
        await ledger.assign(partitions)

    asyncio.run(asyncio.wait_for(assign(), 5))


def test_marks_round_trip_and_foreign_metadata_is_no_mark() -> None:
    assert parse_mark(format_mark({1: 40, 0: 12})) == {0: 12, 1: 40}
    assert format_mark({1: 40, 0: 12}) == "lugang-dead-letters:0=12,1=40"
    assert parse_mark(format_mark({})) == {}
    for foreign in ("", None, "kafka-streams", "lugang-dead-letters:0=x"):
        assert parse_mark(foreign) is None


def test_a_claimed_letter_is_not_claimed_again_until_released() -> None:
    ledger = LetterLedger()
    assert ledger.claim((T, 0, 5))
    assert not ledger.claim((T, 0, 5))
    assert ledger.claim((T, 1, 5))
    ledger.release([(T, 0, 5)])
    assert ledger.claim((T, 0, 5))


def test_no_mark_before_an_assignment_read_the_topic() -> None:
    assert LetterLedger().mark(T, 0, 0) == ""


def test_a_mark_is_the_lowest_position_of_a_letter_at_or_past_the_commit() -> None:
    ledger = LetterLedger(FakeArchive(Found({}, {0: 5, 1: 7})))
    assigned(ledger, {(T, 0)})
    assert parse_mark(ledger.mark(T, 0, 0)) == {0: 5, 1: 7}
    assert ledger.claim((T, 0, 10))  # in flight: anywhere at or past the floor
    ledger.placed([((T, 1, 3), (1, 20))])  # another partition's letter raises the floor
    assert parse_mark(ledger.mark(T, 0, 10)) == {0: 5, 1: 7}
    ledger.placed([((T, 0, 10), (1, 9))])
    assert parse_mark(ledger.mark(T, 0, 10)) == {0: 5, 1: 9}
    assert parse_mark(ledger.mark(T, 0, 11)) == {0: 5, 1: 21}  # past it: the floor
    ledger.committed(T, 0, 11)
    assert ledger.claim((T, 0, 10))  # forgotten once committed past


def test_an_assignment_keeps_the_letters_found_and_drops_revoked_partitions() -> None:
    archive = FakeArchive(Found({(T, 0, 12): (0, 3)}, {0: 4}))
    ledger = LetterLedger(archive)
    assert ledger.claim((T, 1, 2))
    assigned(ledger, {(T, 0)})
    assert archive.asked == [{(T, 0)}]
    assert not ledger.claim((T, 0, 12))
    assert ledger.claim((T, 1, 2))  # partition 1 is not this worker's now
    assert parse_mark(ledger.mark(T, 0, 12)) == {0: 3}


def test_an_assignment_waits_for_the_broker_and_sending_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(letters, "RETRY_S", 0.01)
    archive = FakeArchive(ConnectionError("down"), Found({(T, 0, 1): (0, 0)}, {0: 1}))
    ledger = LetterLedger(archive)

    async def scenario() -> bool:
        reading = ledger.assign({(T, 0)})
        waiting = asyncio.ensure_future(ledger.ready())
        await asyncio.sleep(0)
        assert not waiting.done()
        await reading
        await asyncio.wait_for(waiting, 1)
        return ledger.claim((T, 0, 1))

    assert asyncio.run(scenario()) is False
    assert len(archive.asked) == 2


def test_a_newer_assignment_supersedes_one_under_way() -> None:
    archive = FakeArchive(Found({(T, 0, 1): (0, 0)}, {0: 1}), Found({}, {0: 1}))
    ledger = LetterLedger(archive)

    async def scenario() -> None:
        first = ledger.assign({(T, 0)})
        second = ledger.assign({(T, 1)})
        await asyncio.gather(first, second)

    asyncio.run(scenario())
    assert ledger.claim((T, 0, 1))  # the first read's letters were not taken


def message(offset: int) -> PlainEvent:
    return PlainEvent(PlainMessage(T, 0, offset, b"MSKU1234565", b"not json"))


def test_the_intake_sends_a_letter_once_and_again_after_a_failed_delivery() -> None:
    reference = default_reference()
    outbox = MemoryOutbox()
    ledger = LetterLedger()
    intake = Intake("", reference, outbox, PipelineCounters(), ledger=ledger)

    async def batch(*offsets: int) -> None:
        for offset in offsets:
            assert intake.decode(message(offset)) is None
        await intake.deliver()

    asyncio.run(batch(1, 2, 1))
    asyncio.run(batch(2))  # read again: lettered before
    assert [letter.offset for letter in outbox.dead_letters()] == [1, 2]

    async def fail() -> list[tuple[int, int]]:
        raise ConnectionError("the broker is away")

    outbox.placed = fail  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        asyncio.run(batch(3))
    assert ledger.claim((T, 0, 3))  # released: the redone batch sends it


def test_a_letter_names_its_source_and_a_sinks_letter_none() -> None:
    assert source_of(b'{"topic": "reefer", "partition": 2, "offset": 7}') == (T, 2, 7)
    missing: list[bytes] = [b'{"topic": "points", "source": "influxdb"}', b"not json", b"[]"]
    for value in missing:
        assert source_of(value) is None
    assert source_of(b'{"topic": "reefer", "partition": "2", "offset": 7}') is None
