"""Batches of a faust stream, without the race that lost an event at a batch's edge.

faust's ``Stream.take_events`` buffers events in a processor while the agent consumes the
previous batch; the processor waits on a future that the batch's end resolves, then sets
that future's variable to ``None``. When the next batch has already begun by the time the
waiting processor resumes, it clears the *new* batch's future, adds its event to the
buffer being consumed, and the batch's end acknowledges that event without any agent
having seen it: the crash test lost one container move per partition at a batch's edge,
and faust then committed past it. This copy waits until no batch is being consumed, and
the batch's end clears the future itself.

faust also acknowledges a batch in a ``finally``, so an agent that raised while
processing it acknowledged every event of it unprocessed; this copy acknowledges a batch
only when the agent asks for the next one, and never an event the agent was not handed
(``held``: see :mod:`streams.order`). Otherwise it is faust 0.15.3's code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from mode.utils.aiter import aiter
from mode.utils.futures import notify


async def take_events(
    stream: Any,
    max_: int,
    within: float,
    held: Callable[[Any], bool] = lambda event: False,
) -> AsyncGenerator[list[Any], None]:
    """Lists of at most ``max_`` events, each yielded once full or ``within`` seconds
    after the previous one (an empty list when none came: the agent's order gate chases
    its holes on this clock, :mod:`streams.order`); an event is acknowledged once the
    agent asks for the next list, so after everything its list caused is done, unless
    ``held`` says the agent never got it (it comes again)."""
    buffer: list[Any] = []
    events: list[Any] = []
    buffer_full = asyncio.Event()
    buffer_consumed = asyncio.Event()
    consuming: asyncio.Future[None] | None = None
    enable_acks: bool = stream.enable_acks
    channel_it = aiter(stream.channel)

    async def add_to_buffer(value: Any) -> Any:
        try:
            while consuming is not None:  # a batch is being consumed: wait for its end
                await consuming
            buffer.append(value)
            event = stream.current_event
            if event is None:
                raise RuntimeError("Take buffer found current_event is None")
            events.append(event)
            if len(buffer) >= max_:
                buffer_full.set()
                buffer_consumed.clear()
                await stream.wait(buffer_consumed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            stream.log.exception("Error adding to take buffer: %r", exc)
            await stream.crash(exc)
        return value

    stream.enable_acks = False  # events are acknowledged below, once consumed
    stream.add_processor(add_to_buffer)
    stream._enable_passive(channel_it)
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(buffer_full, timeout=within)
            if buffer:
                consuming = stream.loop.create_future()
                finished = False
                try:
                    yield list(events)
                    finished = True
                finally:
                    buffer.clear()
                    if finished:  # an agent that raised, or was stopped, acknowledges nothing
                        for event in events:
                            if not held(event):
                                await stream.ack(event)
                    events.clear()
                    consumed, consuming = consuming, None
                    notify(consumed)
                    buffer_full.clear()
                    buffer_consumed.set()
            else:
                yield []  # nothing came within ``within``: time passed all the same
    finally:
        stream.enable_acks = enable_acks
        stream._processors.remove(add_to_buffer)
