"""faust's fetch loop without four asyncio tasks per message.

faust hands each fetched message to its streams with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: mode's
``wait_first`` wraps the callback, the flow's suspension and the consumer's stopped and
crashed events in four tasks, waits for the first, and cancels the other three. The race
matters only when the callback has to wait (flow control paused for a rebalance, a full
stream buffer, a full producer buffer): then a rebalance must be able to abandon it. Almost
always the callback delivers the message at its first step and the four tasks are pure
cost: 47 µs a message on this machine kind, most of the bare faust agent's per-event cost.

This copy runs the callback's first step in the fetch loop itself. A callback that
finishes there is done, as it would have been in faust, whose callback task also runs
first and runs that same step; one that has to wait is resumed inside faust's own race
(:class:`Continued`), so a rebalance abandons it exactly as before.

It also records no gap. faust takes every jump of a partition's read offset for offsets
Kafka skips (transaction markers, compaction) and records them as a gap, which its commits
then count as processed. But the read offset also jumps after a seek back (the order gate's
and the commit guard's, faust's own after a rebalance): records fetched before the seek
still come, past the offset sought. A false gap would let a commit pass messages no agent
had processed (the commit guard trusts a gap); the order gate kept that from happening, as
it holds back what comes after a hole until the hole is read again, but then faust adds
the gap's offsets to the acknowledged ones without looking whether they are there
already: with every offset twice in the list, each commit advanced one offset (two
workers: a partition committed 308 of its 50,871 offsets in the benchmark's eight minutes,
its "stall"). A hole Kafka really skips is found by the order gate, which records the gap
once seeks have not filled it (:meth:`streams.order.Seeker.skipped`). Otherwise it is
faust 0.15.3's ``Consumer._drain_messages``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Generator
from collections.abc import Set as AbstractSet
from typing import Any, cast

from faust.transport.consumer import CONSUMER_FETCHING, Consumer

from streams.faustfix.tally import MovedSince, per_partition, tally


def first_step(coroutine: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Run ``coroutine`` up to its first suspension: ``(True, result)`` when it finished,
    ``(False, what it yielded)`` when it waits (the future its task must wait for)."""
    try:
        yielded = coroutine.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, yielded


class Continued:
    """The rest of a coroutine whose first step ran and yielded ``yielded``: awaiting this
    (in a task) waits for what it yielded, then goes on with it, passing on what the task
    sends or throws (a cancellation included), and returns its result."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coroutine = coroutine
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, value = self._coroutine, self._yielded
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as exc:  # a cancellation, thrown on by the task
                try:
                    value = coroutine.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coroutine.send(sent)
                except StopIteration as stop:
                    return stop.value


async def drain_messages(self: Any, fetcher: Any) -> None:  # pragma: no cover
    """faust 0.15.3's ``Consumer._drain_messages``; only the delivery of each message
    differs (:func:`hand_over`), and a record its batch fetched before a seek of its
    partition, or of a partition paused since, is dropped (:class:`SeekFence`)."""
    getmany = self.getmany
    consumer_should_stop = self._stopped.is_set
    fetcher_should_stop = fetcher._stopped.is_set
    flag_consumer_fetching = CONSUMER_FETCHING
    set_flag = self.diag.set_flag
    unset_flag = self.diag.unset_flag

    yield_every = 100
    num_since_yield = 0
    sleep = asyncio.sleep

    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            set_flag(flag_consumer_fetching)
            ait = cast(AsyncIterator[Any], getmany(timeout=1.0))

            # Sleeping because sometimes getmany is called in a loop
            # never releasing to the event loop
            await self.sleep(0)
            if not self.should_stop:
                fence = SeekFence(seeks_made(self), self._paused_partitions)
                async for tp, message in ait:
                    if fence.stale(tp):
                        continue  # fetched before a seek of its partition: it comes again
                    num_since_yield += 1
                    if num_since_yield > yield_every:
                        await sleep(0)
                        num_since_yield = 0
                    await hand_over(self, tp, message)
                unset_flag(flag_consumer_fetching)

    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            # we're already stopping so ignore
            self.log.info("Broker stopped consumer, shutting down...")
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            # we're already stopping so ignore
            self.log.info("Consumer shutting down for user cancel.")
            return
        raise
    except Exception as exc:
        self.log.exception("Drain messages raised: %r", exc)
        raise
    finally:
        unset_flag(flag_consumer_fetching)


async def hand_over(self: Any, tp: Any, message: Any) -> None:  # pragma: no cover
    """One fetched message, as faust's loop treats it: dropped below the offset last read,
    a commit every ``commit_every`` acknowledgements; then delivered, the callback's first
    step here and faust's race only for a callback that has to wait. (No gap recorded: see
    the module's docstring.)"""
    offset = message.offset
    r_offset = self._read_offset[tp]
    if r_offset is None or offset >= r_offset:
        commit_every = self._commit_every
        if commit_every is not None and self._n_acked >= commit_every:
            self._n_acked = 0
            await self.commit()
        delivery = self.callback(message)
        done, yielded = first_step(delivery)
        if not done:
            await self.wait_first(Continued(delivery, yielded), self.suspend_flow.wait())
        self._read_offset[tp] = offset
        handed_over_offsets(self)[tp] = offset
    else:
        self.log.dev(
            "DROPPED MESSAGE ROFF %r: k=%r v=%r",
            offset,
            message.key,
            message.value,
        )


def handed_over_offsets(consumer: Any) -> dict[Any, int]:
    """The offset of the last message the fetch loop handed over, per partition (unlike
    faust's ``_read_offset``, which a seek sets too, only offsets of messages that exist
    and went to the streams): the order gate's evidence that a partition's tail was read
    and dropped before any agent got it (:mod:`streams.order`)."""
    return per_partition(consumer, "_lugang_handed")


def seeks_made(consumer: Any) -> dict[Any, int]:
    """How many seeks :func:`sought` has counted on each partition of ``consumer``."""
    return per_partition(consumer, "_lugang_seeks")


def sought(consumer: Any, tp: Any) -> None:
    """Count a seek of ``tp`` made on ``consumer``'s thread (once aiokafka has made it)."""
    tally(seeks_made(consumer), tp)


class SeekFence:
    """Which records of one fetched batch a seek of their partition has made stale.

    faust hands out a fetched batch record by record, and a record can wait for room in
    its stream's buffer; meanwhile the commit guard or the order gate may seek a partition
    back to a hole (:mod:`streams.faustfix.commits`, :mod:`streams.order`). The batch's
    later records of that partition were fetched before the seek: handed over, they moved
    faust's read offset past the hole again, and faust then dropped the hole's messages
    when the seek fetched them (below the offset last read), so the hole stayed until the
    next seek, :data:`~streams.order.RESEEK_AFTER_S` later, which could lose the same race
    (two workers, after a rebalance: a partition held back for 5 to 15 s, a seek a round).
    Such records are dropped here, unread: the seek fetches them again, in order.

    So are the records of a partition faust has paused (``paused``: its set, read live).
    faust filters a fetch's records by the set of active partitions it read before the
    fetch, and a rebalance replaces that set while the fetch waits: a partition the
    worker kept, paused for the rebalance's recovery, had its records handed to the agents
    before faust sought it back to its committed offset, and those read again after the
    seek came behind them (holes in every partition the worker kept: the order gate sought
    each back, and each seek dropped the rest of a fetched batch). faust seeks a paused
    partition before it resumes it (:mod:`streams.faustfix.recovery`), so they come again."""

    def __init__(self, seeks: dict[Any, int], paused: AbstractSet[Any] = frozenset()) -> None:
        self._seeks = seeks
        self._paused = paused
        self._since_fetch: MovedSince | None = None

    def stale(self, tp: Any) -> bool:
        """Whether a record of ``tp`` in this batch was fetched before a seek of ``tp``
        (the batch is taken to have been fetched when its first record is asked about:
        the fetch loop asks at once, with no await between), or ``tp`` is paused."""
        if tp in self._paused:
            return True
        since_fetch = self._since_fetch
        if since_fetch is None:
            self._since_fetch = MovedSince(self._seeks)
            return False
        return since_fetch.of(tp)


def deliver_at_first_step() -> None:
    """Install the fetch loop on faust's consumers (idempotent)."""
    Consumer._drain_messages = drain_messages  # type: ignore[method-assign]
