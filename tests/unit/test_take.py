"""Batches taken from a faust stream's queue (streams/faustfix/take.py), on a stand-in of
the few parts of faust's stream, app and consumer the take uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import pytest
from mode.utils.queues import FlowControlEvent, ThrowableQueue

import streams.faustfix.take as take_module
from streams.faustfix.take import take_events


@dataclass(eq=False)
class FakeMessage:
    offset: int
    topic: str = "reefer"
    partition: int = 0
    generation_id: int = 1
    tracked: bool = False

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


@dataclass(eq=False)
class FakeEvent:
    message: FakeMessage


@dataclass
class FakeStream:
    """The stream, its channel's queue, its app (flow control, generation, acking topics)
    and consumer (the unacknowledged messages), recording what the take does."""

    flow: FlowControlEvent = field(default_factory=FlowControlEvent)
    unacked: set[FakeMessage] = field(default_factory=set)
    acked: list[int] = field(default_factory=list)
    events_in: list[int] = field(default_factory=list)
    events_total: int = 0
    should_stop: bool = False
    _finalized: bool = False
    stopped: bool = False

    def __post_init__(self) -> None:
        self.queue: ThrowableQueue[Any] = ThrowableQueue(maxsize=100, flow_control=self.flow)
        self.flow.resume()
        self.channel = self
        self.app = self
        self.consumer = self
        self.topics = self
        self.flow_control = self.flow
        self.consumer_generation_id = 1
        self.acking_topics = {"reefer"}

    async def maybe_start(self) -> bool:
        return True

    async def stop(self) -> None:
        self.stopped = True

    def _channel_stop_iteration(self, channel: Any) -> None:
        pass

    def _on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        pass

    def _on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        self.events_in.append(offset)

    async def ack(self, event: FakeEvent) -> bool:
        self.acked.append(event.message.offset)
        self.unacked.discard(event.message)
        return True

    def put(self, *offsets: int, generation: int = 1, partition: int = 0) -> list[FakeEvent]:
        events = [
            FakeEvent(FakeMessage(o, generation_id=generation, partition=partition))
            for o in offsets
        ]
        for event in events:
            self.queue.put_nowait(event)
        return events


@pytest.fixture(autouse=True)
def fake_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(take_module, "EventT", FakeEvent)


def offsets(batch: list[Any]) -> list[int]:
    return [event.message.offset for event in batch]


def test_a_batch_takes_what_is_queued_up_to_its_size_and_acknowledges_on_the_next() -> None:
    async def scenario() -> None:
        stream = FakeStream()
        stream.put(0, 1, 2, 3, 4)
        batches: AsyncGenerator[list[Any], None] = take_events(stream, 3, 0.05)
        first = await anext(batches)
        assert offsets(first) == [0, 1, 2]
        assert stream.acked == []  # not before the agent asks for the next batch
        assert {m.offset for m in stream.unacked} == {0, 1, 2}  # tracked as faust does
        second = await anext(batches)
        assert stream.acked == [0, 1, 2]
        assert offsets(second) == [3, 4]  # fewer than 3 came within 0.05 s
        assert stream.events_total == 5
        await batches.aclose()
        assert stream.acked == [0, 1, 2]  # an agent that stopped acknowledges nothing
        assert stream.stopped

    asyncio.run(scenario())


def test_an_empty_batch_says_that_time_passed() -> None:
    async def scenario() -> list[Any]:
        batches = take_events(FakeStream(), 10, 0.01)
        batch = await anext(batches)
        await batches.aclose()
        return batch

    assert asyncio.run(scenario()) == []


def test_a_batch_waits_for_events_that_come_within_its_time() -> None:
    async def scenario() -> list[int]:
        stream = FakeStream()
        batches = take_events(stream, 2, 5.0)
        later = asyncio.get_running_loop().call_later(0.01, stream.put, 7, 8)
        batch = await anext(batches)
        later.cancel()
        await batches.aclose()
        return offsets(batch)

    assert asyncio.run(scenario()) == [7, 8]


def test_held_events_and_events_of_a_suspended_flow_or_old_generation_are_not_acked() -> None:
    async def scenario() -> FakeStream:
        stream = FakeStream()
        stream.put(0, 1)
        stream.put(2, generation=0)  # fetched before the last rebalance
        batches = take_events(stream, 10, 0.01, held=lambda e: e.message.offset == 1)
        assert offsets(await anext(batches)) == [0, 1]
        stream.flow.suspend()
        stream.put(3)  # fetched while the flow is suspended for a rebalance
        assert offsets(await anext(batches)) == []
        await anext(batches)
        await batches.aclose()
        return stream

    stream = asyncio.run(scenario())
    assert stream.acked == [0]
    assert stream.events_in == [0, 1]


def test_an_error_thrown_into_the_channel_is_raised() -> None:
    async def scenario() -> None:
        stream = FakeStream()
        stream.queue._throw(RuntimeError("decode failed"))  # noqa: SLF001
        batches = take_events(stream, 10, 0.01)
        with pytest.raises(RuntimeError, match="decode failed"):
            await anext(batches)

    asyncio.run(scenario())


def test_an_agent_that_raises_acknowledges_nothing_of_its_batch() -> None:
    async def scenario() -> FakeStream:
        stream = FakeStream()
        stream.put(0, 1)
        batches = take_events(stream, 10, 0.01)
        await anext(batches)
        with pytest.raises(ValueError, match="bug"):
            await batches.athrow(ValueError("bug"))
        return stream

    assert asyncio.run(scenario()).acked == []


def test_a_stop_thrown_into_the_channel_ends_the_batches() -> None:
    """faust ends a stream by throwing StopAsyncIteration into its channel: the batches end
    (an async generator that let it through would die with a RuntimeError)."""

    async def scenario() -> list[list[Any]]:
        stream = FakeStream()
        stream.queue._throw(StopAsyncIteration())  # noqa: SLF001
        return [batch async for batch in take_events(stream, 10, 0.01)]

    assert asyncio.run(scenario()) == []


def test_a_batch_waits_a_linger_after_its_first_event_not_its_whole_time() -> None:
    """A quiet agent hands on what came without waiting out its ``within`` (a page request
    waited half a second for the paging agent's batch)."""

    async def scenario() -> list[int]:
        stream = FakeStream()
        batches = take_events(stream, 10, 30.0)
        loop = asyncio.get_running_loop()
        loop.call_later(0.01, stream.put, 7)
        later = loop.call_later(take_module.LINGER_S + 5.0, stream.put, 8)
        batch = await anext(batches)
        later.cancel()
        await batches.aclose()
        return offsets(batch)

    assert asyncio.run(scenario()) == [7]


def test_events_whose_partition_was_revoked_while_their_agent_worked_are_not_acked() -> None:
    """faust forgets a revoked partition's acknowledgements when a rebalance begins: the
    batch's, made after that, were the first it knew of the partition in the next
    generation, and the commit guard took the offsets before them for a hole."""

    async def scenario() -> FakeStream:
        stream = FakeStream()
        stream.put(0, 1, partition=0)
        stream.put(0, 1, partition=1)
        batches = take_events(stream, 10, 0.01)
        assert len(await anext(batches)) == 4
        take_module.revocations(stream)[("reefer", 0)] = 1  # a rebalance took partition 0
        stream.put(2, partition=0)  # read again in the next generation
        assert offsets(await anext(batches)) == [2]
        await anext(batches)
        await batches.aclose()
        return stream

    stream = asyncio.run(scenario())
    assert stream.acked == [0, 1, 2]  # partition 1's, then partition 0's of the new batch


def test_each_revocation_of_a_partition_is_counted_before_faust_forgets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[Any, int]] = []

    async def faust_revoked(consumer: Any, revoked: set[Any]) -> None:
        seen.append(dict(take_module.revocations(consumer)))

    monkeypatch.setattr(take_module, "_faust_on_partitions_revoked", faust_revoked)
    consumer = FakeStream()
    asyncio.run(take_module.counted_revocation(consumer, {("reefer", 0), ("reefer", 1)}))
    asyncio.run(take_module.counted_revocation(consumer, {("reefer", 0)}))
    assert seen == [{("reefer", 0): 1, ("reefer", 1): 1}, {("reefer", 0): 2, ("reefer", 1): 1}]
