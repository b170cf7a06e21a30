"""A guard on faust's offset commits: never commit past a message no agent has processed.

faust commits, per partition, the offsets its agents have acknowledged, and refuses to
commit across a hole at the head of them, but its test is off by one: it compares the
first acknowledged offset with the committed offset as if that were the last processed
message, while Kafka's committed offset is the *next* message to read. A single message
that reached no agent at the committed offset — faust skips a message fetched while its
flow control is paused around start-up and rebalances — was committed past, and lost:
the crash test saw a worker restarted from offset 179 count every container but the one
at offset 179.

The guard refuses such a commit and seeks the partition back to the committed offset, so
the message is fetched and processed again (the agents deduplicate what comes twice). The
message then comes after later ones an agent has applied: :func:`reread` tells the agents
it was never applied, whatever offsets they have seen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from faust.transport.consumer import Consumer
from faust.types import TP

log = logging.getLogger(__name__)


class Gaps(Protocol):
    """Offset ranges Kafka skips in a partition (faust keeps an ``IntervalTree``)."""

    def overlaps(self, begin: int, end: int) -> bool: ...


_faust_new_offset = Consumer._new_offset
_reread: set[tuple[TP, int]] = set()
_seeks: set[asyncio.Future[Any]] = set()


def hole_at_head(acked: Sequence[int], committed: int | None, gaps: Gaps) -> bool:
    """Whether the message at ``committed`` (the next one to read) is neither acknowledged
    nor a known gap (offsets Kafka skips), while later ones are acknowledged."""
    if not acked or committed is None:
        return False
    first = min(acked)
    return first > committed and not gaps.overlaps(committed, first)


def reread(topic: str, partition: int, offset: int) -> bool:
    """Whether the message at ``offset`` of ``topic[partition]`` reached no agent and is
    read again."""
    return (TP(topic, partition), offset) in _reread


def _guarded_new_offset(consumer: Any, tp: TP) -> int | None:
    committed = consumer._committed_offset.get(tp)
    if hole_at_head(consumer._acked[tp], committed, consumer._gap[tp]):
        if (tp, committed) not in _reread:
            _reread.add((tp, committed))
            log.warning(
                "%s: offset %s reached no agent; not committing past it, reading it again",
                tp,
                committed,
            )
            seek = asyncio.ensure_future(consumer.seek(tp, committed))
            _seeks.add(seek)
            seek.add_done_callback(_seeks.discard)
        return None
    result: int | None = _faust_new_offset(consumer, tp)
    return result


def guard_commits() -> None:
    """Install the guard on faust's consumers (idempotent)."""
    Consumer._new_offset = _guarded_new_offset  # type: ignore[assignment,method-assign]
