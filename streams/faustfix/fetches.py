"""Fetches: whether a partition is read to its end, as far as the broker has lately said,
and how long the broker may hold a fetch.

A consumer knows a partition's end (its highwater) from the broker's last fetch response.
While Kafka is unreachable that figure goes stale, and a partition read up to it looks
caught up: the live silence check then ran each partition's event time on with the wall
clock, and a Kafka outage of half an hour would have paged every reefer on watch as
silent. A partition counts as read to its end only if a fetch response for it came within
:data:`FRESH_S` seconds (aiokafka long-polls every caught-up partition, and the broker
answers within :data:`FETCH_WAIT_MS`; a paused one, during a rebalance, is behind as well).
"""

from __future__ import annotations

from typing import Any, Final

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

FETCH_WAIT_MS: Final = 50
"""How long the broker may hold a fetch that finds nothing new (faust asks aiokafka for
1,500 ms). aiokafka sends one fetch at a time to a broker, and a partition that has run
out of fetched records waits for the fetch in flight to come back: when that fetch is of
caught-up partitions only (the worker's own points, pages and day facts, read as soon as
they are written), the broker held it, and the inputs waited with it: one worker's event
loop sat idle about 15 % of the time waiting for input. 50 ms: one worker +13 % (``bench``,
300,000 events, each run on topics of its own, new-dev-dev-new 6,951 / 7,766 / 7,755 /
6,793 events/s, the same CPU time an event; 10 ms gained nothing more); an idle worker
then fetches about 20 times a second."""

FRESH_S: Final = 10.0
"""How old the broker's last word on a partition may be for it to count as read to its end."""


def last_fetched_s(consumer: Any, tp: TP) -> float | None:
    """When the last fetch response for ``tp`` came (wall-clock seconds since the epoch;
    None: none yet, or not assigned), from aiokafka under faust's consumer (privately)."""
    try:
        ms = consumer._thread._ensure_consumer().last_poll_timestamp(tp)
    except (AssertionError, AttributeError, RuntimeError):
        return None
    return None if ms is None else ms / 1000


def fresh_highwater(consumer: Any, tp: TP, now: float) -> int | None:
    """The highwater of ``tp`` if the broker said it within :data:`FRESH_S` seconds of
    ``now`` (wall-clock seconds), else None: a partition not fetched lately (paused by
    faust's flow control, or Kafka unreachable) may have grown since."""
    if tp not in consumer.assignment():  # aiokafka asserts on an unassigned partition
        return None
    if not _fresh(last_fetched_s(consumer, tp), now):
        return None
    highwater: int | None = consumer.highwater(tp)
    return highwater


def _fresh(fetched_at: float | None, now: float) -> bool:
    """Whether a fetch response at ``fetched_at`` is recent enough at ``now`` to trust what
    it said of the partition's end."""
    return fetched_at is not None and now - fetched_at <= FRESH_S


def read_to_end(
    highwater: int | None, position: int | None, fetched_at: float | None, now: float
) -> bool:
    """Whether a partition whose end was ``highwater`` at ``fetched_at`` (wall-clock
    seconds) is read to its end at ``now`` from ``position`` (the next offset to read)."""
    if highwater is None or not _fresh(fetched_at, now):
        return False
    return highwater - (position or 0) <= 0


_faust_create_worker_consumer = AIOKafkaConsumerThread._create_worker_consumer


def _create_worker_consumer(self: Any, transport: Any) -> Any:
    """faust's consumer, asking the broker to hold a fetch :data:`FETCH_WAIT_MS` at most."""
    consumer = _faust_create_worker_consumer(self, transport)
    consumer._fetch_max_wait_ms = FETCH_WAIT_MS  # read by its fetcher when it starts
    return consumer


def shorten_fetch_wait() -> None:
    """Have faust's consumers ask the broker to hold a fetch :data:`FETCH_WAIT_MS` at most."""
    AIOKafkaConsumerThread._create_worker_consumer = _create_worker_consumer  # type: ignore[method-assign]
