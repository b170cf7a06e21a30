"""The fetch loop's delivery: a callback's first step runs in the loop, and one that has
to wait is resumed inside faust's race (streams/faustfix/drain.py)."""

from __future__ import annotations

import asyncio

import pytest
from faust.transport.consumer import Consumer

from streams.faustfix import install
from streams.faustfix.drain import Continued, drain_messages, first_step


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
