"""Where faust's consumer stands on a partition, in one line (for :mod:`streams.waits`)."""

from __future__ import annotations

from typing import Any

from faust.types import TP

from streams.faustfix.drain import handed_over_offsets
from streams.faustfix.fetches import last_fetched_s


def standing(consumer: Any, tp: TP, now: float) -> str:
    """The offset faust last read of ``tp``, its committed one, the acknowledged ones, the
    last handed over to the streams, the broker's end and how old that word is (``now``:
    wall-clock seconds), aiokafka's position and pause, and the first gaps faust knows."""
    acked = consumer._acked.get(tp) or []
    fetched = last_fetched_s(consumer, tp)
    state = consumer._thread._ensure_consumer()._subscription.subscription.assignment
    value = state.state_value(tp)
    return (
        f"{tp.topic}[{tp.partition}] read {consumer._read_offset.get(tp)} "
        f"committed {consumer._committed_offset.get(tp)} "
        f"acked {len(acked)} from {min(acked) if acked else None} "
        f"handed {handed_over_offsets(consumer).get(tp)} "
        f"end {consumer.highwater(tp)} "
        f"fetched {None if fetched is None else round(now - fetched, 1)} s ago "
        f"position {value.position} paused {value.paused} "
        f"gaps {sorted((gap.begin, gap.end) for gap in consumer._gap.get(tp, ()))[:3]}"
    )
