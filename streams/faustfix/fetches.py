"""Whether a partition is read to its end, as far as the broker has lately said.

A consumer knows a partition's end (its highwater) from the broker's last fetch response.
While Kafka is unreachable that figure goes stale, and a partition read up to it looks
caught up: the live silence check then ran each partition's event time on with the wall
clock, and a Kafka outage of half an hour would have paged every reefer on watch as
silent. A partition counts as read to its end only if a fetch response for it came within
:data:`FRESH_S` seconds (aiokafka long-polls every caught-up partition about every half
second; a paused one, during a rebalance, is behind as well).
"""

from __future__ import annotations

from typing import Any, Final

from faust.types import TP

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
