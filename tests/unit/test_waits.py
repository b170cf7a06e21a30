"""The suspended-frames dump: it sees inside an async generator a task iterates."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

from faust.types import TP

from streams.order import InOrder
from streams.waits import dump, partitions, suspended
from tests.unit.test_order import Seeker, events

HERE = ("/tests/unit/test_waits.py",)


async def _waits_forever(gate: asyncio.Event) -> None:
    await gate.wait()


async def _batches(gate: asyncio.Event) -> AsyncIterator[int]:
    await _waits_forever(gate)
    yield 1


async def _agent(gate: asyncio.Event) -> None:
    async for _ in _batches(gate):
        pass


def test_the_dump_names_the_coroutine_an_async_generator_waits_on() -> None:
    async def scenario() -> list[str]:
        gate = asyncio.Event()
        task = asyncio.create_task(_agent(gate))
        await asyncio.sleep(0)
        lines = list(suspended(HERE))
        gate.set()
        await task
        return lines

    lines = asyncio.run(scenario())
    assert any("_batches <- _waits_forever" in line for line in lines), lines
    assert any("_waits_forever <- Event.wait" in line for line in lines), lines
    assert any("_agent <- async_generator_asend" in line for line in lines), lines


def test_the_dump_is_framed_by_marker_lines() -> None:
    out = io.StringIO()
    dump(out)
    text = out.getvalue().splitlines()
    assert text[0].startswith("--- suspended frames (")
    assert text[-1] == "--- end of suspended frames ---"


class _Consumer:
    """Holds one partition and none of faust's private state: its line says unknown."""

    def assignment(self) -> set[TP]:
        return {TP("reefer", 0)}


def test_each_partition_held_gets_a_line_with_what_its_gates_know() -> None:
    gate = InOrder(Seeker(committed=10), clock=lambda: 100.0, topics=("reefer",))
    gate.admit(events("reefer", 10, 11, 13))  # 12 missing: 13 held
    other = InOrder(Seeker(committed=0), topics=("trains",))
    [line] = partitions(_Consumer(), {"movements": gate, "trains": other})
    assert line.startswith("TP(topic='reefer', partition=0): unknown (AttributeError")
    assert "movements: next 12 hole (12, 13, 1) quiet 0 s" in line
    assert "trains:" not in line
