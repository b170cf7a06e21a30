"""The suspended-frames dump: it sees inside an async generator a task iterates."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

from streams.waits import dump, suspended

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
