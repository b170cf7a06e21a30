"""A partition counts as read to its end only while the broker's word on its end is fresh
(streams/faustfix/fetches.py): a Kafka outage is not silence."""

from __future__ import annotations

import pytest
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

from streams.faustfix import fetches
from streams.faustfix.fetches import (
    FETCH_WAIT_MS,
    FRESH_S,
    fresh_highwater,
    last_fetched_s,
    read_to_end,
    shorten_fetch_wait,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("highwater", "position", "fetched_at", "read"),
    [
        (100, 100, NOW - 0.5, True),  # at the end, fetched just now
        (101, 100, NOW - 0.5, False),  # one message behind
        (100, 100, NOW - FRESH_S - 1, False),  # Kafka silent for a while: not known
        (None, 100, NOW, False),  # never fetched
        (100, 100, None, False),
        (0, None, NOW, True),  # an empty partition, nothing read
    ],
)
def test_read_to_end(
    highwater: int | None, position: int | None, fetched_at: float | None, read: bool
) -> None:
    assert read_to_end(highwater, position, fetched_at, NOW) is read


def test_a_consumer_without_the_partition_has_no_last_fetch() -> None:
    class Unassigned:
        def last_poll_timestamp(self, tp: object) -> int:
            raise AssertionError("Partition is not assigned")

    class Thread:
        def _ensure_consumer(self) -> Unassigned:
            return Unassigned()

    class Consumer:
        _thread = Thread()

    assert last_fetched_s(Consumer(), None) is None  # type: ignore[arg-type]


class _Fetched:
    """faust's consumer as far as :func:`fresh_highwater` reads it: one partition assigned,
    whose last fetch response came at ``fetched_at`` and said ``highwater``."""

    def __init__(self, highwater: int | None, fetched_at: float | None) -> None:
        self._highwater, self._fetched_at = highwater, fetched_at
        self._thread = self

    def _ensure_consumer(self) -> _Fetched:
        return self

    def last_poll_timestamp(self, tp: TP) -> int | None:
        return None if self._fetched_at is None else int(self._fetched_at * 1000)

    def assignment(self) -> set[TP]:
        return {TP("containers", 0)}

    def highwater(self, tp: TP) -> int | None:
        return self._highwater


@pytest.mark.parametrize(
    ("highwater", "fetched_at", "partition", "fresh"),
    [
        (100, NOW - 0.5, 0, 100),
        (100, NOW - FRESH_S - 1, 0, None),  # not fetched lately (paused): may have grown
        (100, None, 0, None),  # never fetched since it was assigned
        (100, NOW, 1, None),  # not this worker's partition
    ],
)
def test_a_highwater_counts_only_while_fresh(
    highwater: int, fetched_at: float | None, partition: int, fresh: int | None
) -> None:
    consumer = _Fetched(highwater, fetched_at)
    assert fresh_highwater(consumer, TP("containers", partition), NOW) == fresh


def test_faust_s_consumers_ask_the_broker_to_hold_a_fetch_briefly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fetch of caught-up partitions only (the worker's own points, pages and day facts)
    was held 1.5 s by the broker, and the inputs' next fetch waited for it."""

    class Consumer:
        _fetch_max_wait_ms = 1500  # what faust asks for

    create = AIOKafkaConsumerThread._create_worker_consumer  # noqa: SLF001 (what faust calls)
    monkeypatch.setattr(AIOKafkaConsumerThread, "_create_worker_consumer", create)  # restored
    monkeypatch.setattr(fetches, "_faust_create_worker_consumer", lambda s, t: Consumer())
    shorten_fetch_wait()
    shorten_fetch_wait()  # idempotent: faust's own method is wrapped, never the wrapper
    patched = AIOKafkaConsumerThread._create_worker_consumer  # noqa: SLF001
    consumer = patched(object(), object())  # type: ignore[arg-type]
    assert consumer._fetch_max_wait_ms == FETCH_WAIT_MS < 1500  # noqa: SLF001 (aiokafka's)
