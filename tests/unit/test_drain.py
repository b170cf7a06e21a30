"""The fetch loop's delivery: a callback's first step runs in the loop, and one that has
to wait is resumed inside faust's race (streams/faustfix/drain.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP

from streams.faustfix import install
from streams.faustfix.drain import (
    Continued,
    SeekFence,
    drain_messages,
    first_step,
    hand_over,
    handed_over_offsets,
    seeks_made,
    sought,
)
from tests.fakes import FakeMessage


async def _immediate(steps: list[str]) -> str:
    steps.append("ran")
    return "delivered"


async def _waiting(gate: asyncio.Future[str], steps: list[str]) -> str:
    steps.append("first step")
    try:
        opened = await gate
    except asyncio.CancelledError:
        steps.append("abandoned")
        raise
    steps.append("rest")
    return f"delivered after {opened}"


def test_a_callback_that_does_not_wait_finishes_at_its_first_step() -> None:
    steps: list[str] = []
    assert first_step(_immediate(steps)) == (True, "delivered")
    assert steps == ["ran"]


def test_a_callback_that_waits_goes_on_in_a_task_once_its_wait_is_over() -> None:
    async def scenario() -> tuple[str, list[str]]:
        steps: list[str] = []
        gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        delivery = _waiting(gate, steps)
        done, yielded = first_step(delivery)
        assert not done
        assert steps == ["first step"]
        task = asyncio.ensure_future(Continued(delivery, yielded))
        await asyncio.sleep(0)
        assert not task.done()  # still waiting for the gate
        gate.set_result("the rebalance")
        return await task, steps

    result, steps = asyncio.run(scenario())
    assert result == "delivered after the rebalance"
    assert steps == ["first step", "rest"]


def test_a_waiting_callback_is_abandoned_when_its_task_is_cancelled() -> None:
    """faust's race cancels the callback's task when the flow is suspended first: the
    cancellation reaches the callback where it waits."""

    async def scenario() -> list[str]:
        steps: list[str] = []
        gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        delivery = _waiting(gate, steps)
        _, yielded = first_step(delivery)
        task = asyncio.ensure_future(Continued(delivery, yielded))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return steps

    assert asyncio.run(scenario()) == ["first step", "abandoned"]


def test_a_callback_that_fails_at_its_first_step_raises_in_the_loop() -> None:
    async def failing() -> None:
        raise ValueError("undecodable")

    with pytest.raises(ValueError, match="undecodable"):
        first_step(failing())


def test_install_puts_the_fetch_loop_on_faust_consumers() -> None:
    install()
    assert vars(Consumer)["_drain_messages"] is drain_messages


class _Loop:
    """The parts of faust's consumer :func:`hand_over` uses, for one partition."""

    def __init__(self, read_offset: int | None) -> None:
        self.tp = TP("reefer", 0)
        self._read_offset = {self.tp: read_offset}
        self._commit_every = None
        self.delivered: list[int] = []
        self.gaps: list[tuple[int, int]] = []

    async def callback(self, message: Any) -> None:
        self.delivered.append(message.offset)

    async def _add_gap(self, tp: TP, first: int, last: int) -> None:
        self.gaps.append((first, last))


def test_a_jump_of_the_read_offset_is_delivered_and_recorded_as_no_gap() -> None:
    """The order gate sought the partition back to 130, and a record fetched before the
    seek came at 5000: faust recorded 131 to 4999 as offsets Kafka skips, and once they were
    read again and acknowledged its commits counted them twice (one offset a commit); the
    jump is no evidence of a gap."""
    loop = _Loop(read_offset=130)
    asyncio.run(hand_over(loop, loop.tp, FakeMessage("reefer", 0, 5000, b"k", b"{}")))
    assert loop.delivered == [5000]
    assert loop.gaps == []
    assert loop._read_offset[loop.tp] == 5000  # noqa: SLF001 (faust's, kept as faust keeps it)
    assert handed_over_offsets(loop)[loop.tp] == 5000


def test_records_fetched_before_a_seek_of_their_partition_are_stale() -> None:
    """The order gate sought reefer[0] back to a hole while the fetch loop was handing out
    a batch: the batch's later records of reefer[0] were fetched before the seek (handed
    over, they moved the read offset past the hole again and the hole's messages, fetched
    again, were dropped below it); records of other partitions are not."""
    reefer, containers = TP("reefer", 0), TP("containers", 0)
    seeks: dict[Any, int] = {}
    fence = SeekFence(seeks)
    assert not fence.stale(reefer)  # the batch's first record: fetched now
    assert not fence.stale(reefer)
    sought(_Seeking(seeks), reefer)
    assert fence.stale(reefer)
    assert not fence.stale(containers)
    next_batch = SeekFence(seeks)  # fetched after the seek
    assert not next_batch.stale(reefer)
    assert not next_batch.stale(reefer)


def test_a_seek_before_the_batch_was_fetched_leaves_the_batch_fresh() -> None:
    reefer = TP("reefer", 0)
    consumer = _Seeking({})
    sought(consumer, reefer)
    fence = SeekFence(seeks_made(consumer))
    assert not fence.stale(reefer)
    assert not fence.stale(reefer)
    sought(consumer, reefer)
    sought(consumer, reefer)
    assert seeks_made(consumer) == {reefer: 3}
    assert fence.stale(reefer)


class _Seeking:
    """A consumer to count seeks on (:func:`sought` keeps them in its ``__dict__``)."""

    def __init__(self, seeks: dict[Any, int]) -> None:
        self._lugang_seeks = seeks


def test_records_of_a_paused_partition_are_stale_from_the_batch_s_first() -> None:
    """faust filters a fetch by the active partitions it read before the fetch; a rebalance
    pauses the partitions while the fetch waits. A paused partition's records come again
    once faust has sought it back to its committed offset and resumed it."""
    reefer, containers = TP("reefer", 0), TP("containers", 0)
    paused: set[Any] = {reefer}
    fence = SeekFence({}, paused)
    assert fence.stale(reefer)  # even as the batch's first record
    assert not fence.stale(containers)
    paused.discard(reefer)  # resumed (after its seek): read live
    assert not fence.stale(reefer)
