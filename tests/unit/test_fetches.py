"""A partition counts as read to its end only while the broker's word on its end is fresh
(streams/faustfix/fetches.py): a Kafka outage is not silence."""

from __future__ import annotations

import pytest

from streams.faustfix.fetches import FRESH_S, last_fetched_s, read_to_end

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
