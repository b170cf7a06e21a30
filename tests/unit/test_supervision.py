"""An agent whose handler raises outside the per-event policy never leaves a worker that
looks healthy: it is marked dead with the reason, the crash callback stops the worker, and
the batch it was processing is not acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from streams.agents.ports import Received
from streams.state import AgentStates
from streams.supervision import supervised
from streams.web import health_body


class Batches:
    """A stand-in for ``take_events``: yields the batches, and acknowledges a batch only
    when the agent asks for the next one (as the real one does)."""

    def __init__(self, batches: list[list[Any]]) -> None:
        self.batches = batches
        self.acknowledged: list[list[Any]] = []

    async def __call__(
        self, stream: Any, size: int, within: float, held: Callable[[Any], bool]
    ) -> AsyncIterator[list[Any]]:
        for batch in self.batches:
            yield batch
            self.acknowledged.append(batch)


def test_an_agent_that_raises_is_marked_dead_stops_the_worker_and_acknowledges_nothing() -> None:
    handled: list[list[Any]] = []
    crashes: list[tuple[str, BaseException]] = []

    async def handle(batch: Sequence[Received]) -> None:
        items: list[Any] = list(batch)
        if items == ["poison"]:
            raise RuntimeError("InfluxDB refused the batch")
        handled.append(items)

    states = AgentStates(["days", "trains"])
    states.running("trains")
    take = Batches([["a"], ["poison"], ["never"]])
    agent = supervised("days", handle, states, lambda n, e: crashes.append((n, e)), take=take)

    async def drive() -> None:
        async for _ in agent(object()):
            pass

    with pytest.raises(RuntimeError):
        asyncio.run(drive())
    assert handled == [["a"]]
    assert take.acknowledged == [["a"]]  # not the batch that failed, nor any later one
    assert [name for name, _ in crashes] == ["days"]
    assert states.dead == ["days"]
    code, body = health_body(states)
    assert code == 503
    assert body["agents"]["days"] == {
        "running": False,
        "reason": "RuntimeError: InfluxDB refused the batch",
    }
    assert body["agents"]["trains"]["running"] is True


def test_a_worker_whose_agents_all_run_is_healthy() -> None:
    states = AgentStates(["trains", "movements", "days"])
    for name in ("trains", "movements", "days"):
        states.running(name)
    assert health_body(states) == (
        200,
        {
            "healthy": True,
            "agents": {
                name: {"running": True, "reason": None} for name in ("trains", "movements", "days")
            },
        },
    )


def test_an_agent_that_died_stays_dead_when_faust_restarts_it() -> None:
    states = AgentStates(["days"])
    states.running("days")
    states.died("days", "SinkRejected: refused")
    states.running("days")  # faust's supervisor restarting it while the worker stops
    states.stopped("days", "stopped")
    assert states.dead == ["days"]
    assert not states.healthy
