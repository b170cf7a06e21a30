"""The commit guard finds a message that reached no agent at the committed offset."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.types import TP
from intervaltree import IntervalTree  # type: ignore[import-untyped]  # what faust keeps gaps in

from streams.faustfix import commits
from streams.faustfix.commits import hole_at_head
from streams.faustfix.drain import handed_over_offsets, seeks_made
from streams.order import RESEEK_AFTER_S


def test_a_skipped_first_message_is_a_hole() -> None:
    # Kafka's committed offset 179 is the next message to read: acknowledging 180 onwards
    # without 179 must not let the commit move past 179 (faust's own test let it).
    assert hole_at_head([180, 181, 182], 179, IntervalTree())


def test_acknowledgements_from_the_committed_offset_are_no_hole() -> None:
    assert not hole_at_head([179, 180], 179, IntervalTree())
    assert not hole_at_head([], 179, IntervalTree())
    assert not hole_at_head([5, 6], None, IntervalTree())


def test_offsets_kafka_skips_are_no_hole() -> None:
    gaps = IntervalTree()
    gaps.addi(179, 181)  # e.g. transaction markers
    assert not hole_at_head([181, 182], 179, gaps)


class _Thread:
    """faust's consumer thread: runs what it is given, and says so."""

    def __init__(self, consumer: _Consumer) -> None:
        self.consumer = consumer

    def _ensure_consumer(self) -> _Consumer:
        return self.consumer

    async def call_thread(self, fun: Any, *args: Any) -> Any:
        self.consumer.on_thread = True
        try:
            return await fun(*args)
        finally:
            self.consumer.on_thread = False


class _Consumer:
    """The parts of faust's consumer the guard reads, for one partition (and of aiokafka's
    under it: ``seek``)."""

    def __init__(self, committed: int | None, acked: list[int], first: int = 0) -> None:
        self.tp = TP("containers", 0)
        self._committed_offset = {self.tp: committed}
        self._acked = {self.tp: acked}
        self._acked_index = {self.tp: set(acked)}
        self._gap = {self.tp: IntervalTree()}
        self.first = first
        self.seeks: list[int] = []
        self._thread = _Thread(self)
        self._read_offset: dict[TP, int | None] = {}
        self.on_thread = False
        self.assigned = {self.tp}

    def assignment(self) -> set[TP]:
        return self.assigned

    def read_from(self) -> int | None:
        """Where faust reads the partition from (below it, a fetched message is dropped)."""
        return self._read_offset.get(self.tp)

    def acknowledge(self, offset: int) -> None:
        self._acked[self.tp].insert(0, offset)
        self._acked_index[self.tp].add(offset)

    def seek(self, tp: TP, offset: int) -> None:
        assert self.on_thread, "aiokafka's consumer is sought on faust's consumer thread only"
        self.seeks.append(offset)

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.first for tp in tps}


@pytest.fixture
def fresh_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_last_seek", "_first_offsets", "_lookups"):
        monkeypatch.setattr(commits, name, type(getattr(commits, name))())


def _offer(consumer: _Consumer, now: float = 0.0) -> int | None:
    """Ask the guard for the partition's new offset, and let its background work run."""

    async def ask() -> int | None:
        offset = commits.guarded_new_offset(consumer, consumer.tp, now)
        await commits.background_done()
        return offset

    return asyncio.run(ask())


def test_a_partition_never_committed_is_guarded_from_its_first_offset(
    fresh_guard: None,
) -> None:
    # The first worker died before its first commit: the message at offset 0 reached no
    # agent of its successor, which acknowledged 1 and 2.
    consumer = _Consumer(None, [1, 2])
    assert _offer(consumer) is None  # the first offset is looked up first
    assert _offer(consumer) is None  # then the hole at 0 is read again
    assert consumer.seeks == [0]
    assert seeks_made(consumer) == {consumer.tp: 1}  # the fetch loop drops what came before
    consumer.acknowledge(0)
    assert _offer(consumer) == 3


def test_a_hole_of_several_messages_is_read_again_from_its_first(fresh_guard: None) -> None:
    # faust dropped 250 to 252 at start-up; the agents' tracks apply each of them when
    # they come again (tests/unit/test_reefer.py, per-offset bookkeeping).
    consumer = _Consumer(250, [253, 254])
    assert _offer(consumer) is None
    assert consumer.seeks == [250]
    assert consumer.read_from() == 250  # faust drops nothing from 250 on
    for offset in (250, 251, 252):
        consumer.acknowledge(offset)
    assert _offer(consumer) == 255


def test_a_hole_that_stays_is_sought_again(fresh_guard: None) -> None:
    consumer = _Consumer(179, [180, 181])
    assert _offer(consumer, now=1000.0) is None
    assert _offer(consumer, now=1001.0) is None  # the seek may still be filling it
    assert _offer(consumer, now=1001.0 + RESEEK_AFTER_S) is None
    assert consumer.seeks == [179, 179]


def test_a_partition_taken_away_is_neither_sought_nor_committed(fresh_guard: None) -> None:
    """Acknowledgements of a batch in flight when a rebalance took the partition away: the
    new owner commits it; seeking it here fails (aiokafka: no current assignment), at every
    commit (a two-worker benchmark run logged 170 failed seeks per partition)."""
    consumer = _Consumer(0, [1028, 1029])
    consumer.assigned = set()
    assert _offer(consumer) is None
    assert consumer.seeks == []
    consumer.assigned = {consumer.tp}  # assigned again: guarded as before
    assert _offer(consumer) is None
    assert consumer.seeks == [0]


def test_the_order_gate_seeks_on_the_consumer_thread(fresh_guard: None) -> None:
    # aiokafka's seek drops the partition's fetched records: made from another thread
    # than the fetcher's, it raised KeyError in the fetcher (CI, Kafka SIGKILLed).
    consumer = _Consumer(179, [])

    async def seek() -> None:
        commits.ConsumerSeeker(lambda: consumer).seek("containers", 0, 181)
        await commits.background_done()

    asyncio.run(seek())
    assert consumer.seeks == [181]
    assert consumer.read_from() == 181


def test_a_partition_end_without_a_fresh_word_is_past_the_last_message_handed_over() -> None:
    """The order gate's tail chase needs the partition's end; a partition faust stopped
    fetching has no fresh highwater, but a message the fetch loop handed over to the
    streams exists, so the end lies past it (the two-worker stall: the tails handed over
    and dropped, the consumer at the end, no fresh word, never chased)."""
    consumer = _Consumer(900, [])
    seeker = commits.ConsumerSeeker(lambda: consumer)
    assert seeker.end("containers", 0) is None  # nothing handed over, no word from the broker
    handed_over_offsets(consumer)[consumer.tp] = 64867
    assert seeker.end("containers", 0) == 64868
    consumer.assigned = set()  # taken away: no end
    assert seeker.end("containers", 0) is None


def test_offsets_the_order_gate_takes_for_a_gap_are_committed_past(fresh_guard: None) -> None:
    consumer = _Consumer(10, [12, 13])
    assert _offer(consumer) is None  # a hole at 10 and 11
    commits.ConsumerSeeker(lambda: consumer).skipped("containers", 0, 10, 12)
    assert _offer(consumer) == 14
