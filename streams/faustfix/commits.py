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
message then comes after later ones an agent has applied; the agents keep the offsets they
applied one by one (:mod:`streams.domain.offsets`), so it is applied, once.

Two more holes the guard closes:

- faust keeps no committed offset for a partition its group never committed (nor for one
  committed at 0), and then checks nothing: a worker killed before its first commit left
  its successor to skip the partition's first message and commit past it (the crash test
  lost a 2-TEU reefer load). The guard then looks up the partition's first offset (once)
  and commits nothing on it until it knows.
- The message read again can be dropped again (faust drops a fetched message below the
  offset it last read, and records fetched before the seek are still being handed out).
  While the hole stays, the guard seeks again every :data:`RESEEK_AFTER_S` seconds.

Commits also carry a mark (:func:`mark_commits`): faust commits every offset with empty
metadata, and :mod:`streams.letters` keeps, in the metadata, where in the dead-letter topic
the letters of the uncommitted messages begin.

Every seek here is made on faust's consumer thread (:func:`seek_on_consumer_thread`), and
only on a partition the worker holds: nothing is committed on a partition taken away in a
rebalance (its new owner reads and commits it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata
from faust.transport.consumer import Consumer
from faust.types import TP

from streams.faustfix.drain import handed_over_offsets, sought
from streams.faustfix.fetches import fresh_highwater
from streams.order import RESEEK_AFTER_S  # one home: the order gate's seeks wait alike

log = logging.getLogger(__name__)


class Gaps(Protocol):
    """Offset ranges Kafka skips in a partition (faust keeps an ``IntervalTree``)."""

    def overlaps(self, begin: int, end: int) -> bool: ...


class Marks(Protocol):
    """What a commit's metadata holds (:class:`streams.letters.LetterLedger`); called on
    faust's consumer thread."""

    def mark(self, topic: str, partition: int, committed: int) -> str: ...

    def committed(self, topic: str, partition: int, committed: int) -> None: ...


_faust_new_offset = Consumer._new_offset
_aiokafka_commit = AIOKafkaConsumer.commit
_marks: list[Marks] = []  # the marks of this process's worker (one at most)
_last_seek: dict[TP, tuple[int, float]] = {}  # offset sought, monotonic time of the seek
_first_offsets: dict[TP, int] = {}  # first offset of partitions faust knows no commit of
_lookups: set[TP] = set()
_tasks: set[asyncio.Future[Any]] = set()


def hole_at_head(acked: Sequence[int], committed: int | None, gaps: Gaps) -> bool:
    """Whether the message at ``committed`` (the next one to read) is neither acknowledged
    nor a known gap (offsets Kafka skips), while later ones are acknowledged."""
    if not acked or committed is None:
        return False
    first = min(acked)
    return first > committed and not gaps.overlaps(committed, first)


def seek_due(tp: TP, offset: int, now: float) -> bool:
    """Whether to seek ``tp`` back to ``offset`` now: not already sought there within
    :data:`RESEEK_AFTER_S` seconds."""
    last = _last_seek.get(tp)
    return last is None or last[0] != offset or now - last[1] >= RESEEK_AFTER_S


async def background_done() -> None:
    """Return once the guard's seeks and look-ups started so far are done (for tests)."""
    await asyncio.gather(*_tasks)


def _background(coroutine: Any) -> None:
    task = asyncio.ensure_future(coroutine)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _learn_first_offset(consumer: Any, tp: TP) -> None:
    try:
        earliest = await consumer.earliest_offsets(tp)
        _first_offsets[tp] = earliest[tp]
    finally:
        _lookups.discard(tp)


def _read_again(consumer: Any, tp: TP, offsets: range, now: float) -> None:
    """Seek ``tp`` back to the first of ``offsets`` (messages no agent acknowledged, the
    first ones after the commit)."""
    offset = offsets.start
    if not seek_due(tp, offset, now):
        return
    again = tp in _last_seek and _last_seek[tp][0] == offset
    _last_seek[tp] = (offset, now)
    log.warning(
        "%s: offsets %s to %s reached no agent; not committing past them, reading them %s",
        tp,
        offset,
        offsets.stop - 1,
        "again (still missing)" if again else "again",
    )
    _background(seek_on_consumer_thread(consumer, tp, offset))


async def _seek_now(aiokafka_consumer: Any, tp: TP, offset: int) -> None:
    aiokafka_consumer.seek(tp, offset)


async def seek_on_consumer_thread(consumer: Any, tp: TP, offset: int) -> None:
    """faust's ``Consumer.seek`` (read ``tp`` again from ``offset``), with aiokafka's seek
    made on faust's consumer thread.

    faust seeks aiokafka's consumer from the thread that asks, while that consumer's fetcher
    runs on faust's consumer thread: a seek dropped a partition's fetched records while the
    fetcher was going through them, the fetcher raised ``KeyError`` and the worker died
    (CI, Kafka SIGKILLed in test_outages: the holes chased once Kafka was back)."""
    thread = consumer._thread
    await thread.call_thread(_seek_now, thread._ensure_consumer(), tp, offset)
    consumer._read_offset[tp] = offset if offset else None  # as faust's seek: read again
    sought(consumer, tp)  # records of ``tp`` fetched before are dropped (SeekFence)


def committed_offset(consumer: Any, tp: TP) -> int | None:
    """The offset committed for ``tp`` as faust keeps it (privately; None: none known)."""
    committed: int | None = consumer._committed_offset.get(tp)
    return committed


def guarded_new_offset(consumer: Any, tp: TP, now: float | None = None) -> int | None:
    """faust's ``Consumer._new_offset`` (the offset to commit on ``tp``, None: none), guarded
    (``now``: monotonic seconds, for tests)."""
    committed = consumer._committed_offset.get(tp)
    acked = consumer._acked[tp]
    if acked and tp not in consumer.assignment():
        # Taken away in a rebalance, with acknowledgements of a batch in flight left over:
        # another worker commits it now, and a seek here fails (aiokafka: no current
        # assignment), every commit, for as long as the worker runs. faust's own
        # bookkeeping of them is left as it is.
        return None
    if committed is None and acked:
        committed = _first_offsets.get(tp)
        if committed is None:  # no commit known: hold back until the first offset is
            if tp not in _lookups:
                _lookups.add(tp)
                _background(_learn_first_offset(consumer, tp))
            return None
    if committed is not None and hole_at_head(acked, committed, consumer._gap[tp]):
        missing = range(committed, min(acked))
        _read_again(consumer, tp, missing, time.monotonic() if now is None else now)
        return None
    result: int | None = _faust_new_offset(consumer, tp)
    return result


async def _commit_marked(consumer: Any, offsets: Any = None) -> None:
    """aiokafka's ``commit``, each offset with the mark of :data:`_marks` as its metadata."""
    if not _marks or not offsets:
        await _aiokafka_commit(consumer, offsets)
        return
    marks = _marks[0]
    marked = {}
    for tp, value in offsets.items():
        offset = value if isinstance(value, int) else value[0]
        marked[tp] = OffsetAndMetadata(offset, marks.mark(tp.topic, tp.partition, offset))
    await _aiokafka_commit(consumer, marked)
    for tp, value in marked.items():
        marks.committed(tp.topic, tp.partition, value.offset)


def mark_commits(marks: Marks | None) -> None:
    """Give every commit of the process's consumers the metadata of ``marks`` (None: no
    metadata, as aiokafka commits)."""
    _marks[:] = [] if marks is None else [marks]
    AIOKafkaConsumer.commit = _commit_marked


def guard_commits() -> None:
    """Install the guard on faust's consumers (idempotent)."""
    Consumer._new_offset = guarded_new_offset  # type: ignore[assignment,method-assign]


class ConsumerSeeker:
    """The consumer's committed offsets and seeks, as :class:`streams.order.InOrder` asks
    for them (``consumer``: returns faust's consumer, which exists once the app runs)."""

    def __init__(self, consumer: Callable[[], Any]) -> None:
        self.consumer = consumer

    def committed(self, topic: str, partition: int) -> int | None:
        return committed_offset(self.consumer(), TP(topic, partition))

    def seek(self, topic: str, partition: int, offset: int) -> None:
        _background(seek_on_consumer_thread(self.consumer(), TP(topic, partition), offset))

    def assigned(self, topic: str, partition: int) -> bool:
        return TP(topic, partition) in self.consumer().assignment()

    def end(self, topic: str, partition: int) -> int | None:
        consumer, tp = self.consumer(), TP(topic, partition)
        fresh = fresh_highwater(consumer, tp, time.time())
        if fresh is not None:
            return fresh
        handed = handed_over_offsets(consumer).get(tp)
        if handed is None or tp not in consumer.assignment():
            return None
        return handed + 1  # that message exists: the end is past it

    def partitions(self, topics: Sequence[str]) -> list[tuple[str, int]]:
        assigned = self.consumer().assignment()
        return [(tp.topic, tp.partition) for tp in assigned if tp.topic in topics]

    def skipped(self, topic: str, partition: int, first: int, stop: int) -> None:
        """Record the offsets as a gap in faust's bookkeeping: its commits count them as
        processed, and the guard does not take them for a hole."""
        gaps = self.consumer()._gap[TP(topic, partition)]
        gaps.addi(first, stop)
        gaps.merge_overlaps()
