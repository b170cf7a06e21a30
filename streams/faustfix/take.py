"""Batches of a faust stream, taken from its channel's queue a batch at a time.

faust's ``Stream.take_events`` runs every event through the stream's iterator (a turn of
the event loop, the stream's processors, a buffer and its futures) to build a batch, and
had two faults here: a race at a batch's edge that acknowledged an event no agent had seen
(the crash test lost one container move per partition), and an acknowledgement in a
``finally`` that acknowledged a batch whose agent had raised. This takes the events the
conductor has queued for the stream directly, as many as are there, doing per event only
what faust's stream iterator does before it hands an event over (below), and acknowledges
a batch only when the agent asks for the next one, and never an event the agent was not
handed (``held``: see :mod:`streams.order`).

What faust's iterator does per event, and this does too: an error thrown into the channel
is raised; an event fetched before the flow was suspended for a rebalance, or in an earlier
generation of the group, is skipped unacknowledged (the commit guard and the order gate
fetch it again); the message is tracked as unacknowledged and the sensors hear of it.

An event whose partition was revoked after its batch was taken is not acknowledged either
(:func:`revocations`). faust forgets a revoked partition's acknowledgements when the
rebalance begins, and the agent finishes its batch after that: acknowledged then, the
batch's offsets were the first faust knew of the partition in the next generation, which
reads it again from the committed offset. The commit guard took the offsets between for a
hole (two workers, after the start-up rebalance: "offsets 2500 to 3249 reached no agent"
on every partition the worker kept), refused to commit and sought back to it, again every
5 s while seeks lost their race with the fetch loop: the partition stalled for seconds.
Not acknowledged, the events come again with the partition (to this worker or the other),
and are acknowledged then.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any, Final

from faust.transport.consumer import Consumer
from faust.types import EventT

from streams.faustfix.tally import MovedSince, per_partition, tally

LINGER_S: Final = 0.1
"""How long a batch waits for more events after its first one (at most its ``within``):
an event a quiet agent gets is handled within this, not a whole ``within`` later (a page
request waited for the paging agent's half second), while a busy agent's queue fills a
batch within it (faust's fetch loop hands over about 30,000 events a second here; 50 ms cut
one worker's throughput by a few per cent, 100 ms did not: ``bench``, A-B-B-A)."""


class _Intake:
    """What faust's stream iterator does with each event before handing it over."""

    def __init__(self, stream: Any) -> None:
        app = stream.app
        self.stream = stream
        self.queue = stream.channel.queue
        self.flow_control = app.flow_control
        self.app = app
        self.acking_topics = app.topics.acking_topics
        self.add_unacked = app.consumer.unacked.add
        self.on_message_in = stream._on_message_in
        self.on_stream_event_in = stream._on_stream_event_in

    def accept(self, item: Any) -> Any | None:
        """The event to hand over, or None for one faust's iterator skips."""
        if not isinstance(item, EventT):
            return None
        message = item.message
        if (
            not self.flow_control.is_active()
            or message.generation_id != self.app.consumer_generation_id
        ):
            return None
        if message.topic in self.acking_topics and not message.tracked:
            message.tracked = True
            self.add_unacked(message)
            self.on_message_in(message.tp, message.offset, message)
        self.on_stream_event_in(message.tp, message.offset, self.stream, item)
        return item

    async def batch(self, max_: int, within: float, linger: float = LINGER_S) -> list[Any]:
        """At most ``max_`` events: those queued now, and those that come within
        ``within`` seconds, or ``linger`` seconds after the first, until there are ``max_``."""
        queue = self.queue
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        events: list[Any] = []
        while len(events) < max_:
            if queue.empty():  # no event, and no error thrown into the channel
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(queue.get(), remaining)
                except TimeoutError:
                    break
            else:
                item = queue.get_nowait()
            event = self.accept(item)
            if event is not None:
                if not events:
                    deadline = min(deadline, loop.time() + linger)
                events.append(event)
        return events


def revocations(consumer: Any) -> dict[Any, int]:
    """How many times each partition of ``consumer`` was revoked in a rebalance (counted
    by :func:`count_revocations`)."""
    return per_partition(consumer, "_lugang_revocations")


_faust_on_partitions_revoked = Consumer.on_partitions_revoked


async def counted_revocation(self: Any, revoked: set[Any]) -> None:
    """faust's ``Consumer.on_partitions_revoked``, after counting the revocation of each
    partition (before faust forgets their acknowledgements)."""
    counts = revocations(self)
    for tp in revoked:
        tally(counts, tp)
    await _faust_on_partitions_revoked(self, revoked)


def count_revocations() -> None:
    """Count each revocation of faust's consumers' partitions (idempotent)."""
    Consumer.on_partitions_revoked = counted_revocation  # type: ignore[method-assign]


async def take_events(
    stream: Any,
    max_: int,
    within: float,
    held: Callable[[Any], bool] = lambda event: False,
) -> AsyncGenerator[list[Any], None]:
    """Lists of at most ``max_`` events, each yielded once full, :data:`LINGER_S` after
    its first event, or ``within`` seconds after the previous list (an empty list when none
    came: the agent's order gate chases its holes on this clock, :mod:`streams.order`); an
    event is acknowledged once the agent asks for the next list, so after everything its
    list caused is done, unless ``held`` says the agent never got it, or its partition was
    revoked since the list was taken (either way it comes again)."""
    started = await stream.maybe_start()
    stream._finalized = True  # as iterating it would: no processor may be added now
    intake = _Intake(stream)
    revoked = revocations(stream.app.consumer)
    try:
        while not stream.should_stop:
            try:
                events = await intake.batch(max_, within)
            except StopAsyncIteration:  # thrown into the channel: the stream ends, as in faust
                return
            stream.events_total += len(events)
            since_taken = MovedSince(revoked)
            yield events
            # Only once the agent asks for the next list: an agent that raised, or was
            # stopped, acknowledges nothing.
            rebalanced = since_taken.any()
            for event in events:
                if held(event):
                    continue
                if rebalanced and since_taken.of(event.message.tp):
                    continue  # faust forgot its partition's acknowledgements since
                await stream.ack(event)
    finally:
        stream._channel_stop_iteration(stream.channel)
        if started:
            await stream.stop()
