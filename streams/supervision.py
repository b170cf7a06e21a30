"""How an agent runs, and what happens when one dies.

An agent takes its stream in batches and hands each to its handler, each partition's
messages in offset order (``streams.order``); the batch is acknowledged only when the
handler returned (``streams.faustfix.take``). A handler that
raises (outside the per-event policy of ``streams.agents.intake``: a bug in the batch's
own code, a table or topic Kafka cannot write) stops the agent. A worker whose agent
stopped must not look healthy while its partitions go unprocessed: the agent is marked
stopped with the reason (``/health`` answers 503, the pipeline-health measurement says
``running = 0``) and the worker is stopped so that it exits non-zero; compose or systemd
restart it, and the restart redoes the unacknowledged batch.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final

from streams.agents.ports import Received
from streams.faustfix.take import take_events
from streams.order import InOrder
from streams.state import AgentStates

log = logging.getLogger(__name__)

BATCH_SIZE: Final = 2000
BATCH_SECONDS: Final = 0.5
STOP_GRACE_S: Final = 30.0
"""How long a worker stopping after an agent's death may take before it is ended hard."""

EXIT_AGENT_DIED: Final = 70
"""The exit status of a worker stopped because an agent died (``EX_SOFTWARE``)."""

Handler = Callable[[Sequence[Received]], Awaitable[None]]
Take = Callable[[Any, int, float, Callable[[Any], bool]], AsyncIterator[list[Any]]]
"""How an agent takes batches of its stream (:func:`streams.faustfix.take.take_events`):
stream, batch size, seconds, and which events of a batch the agent was not handed."""
OnCrash = Callable[[str, BaseException], None]
Stream = Any
"""A faust stream of raw bytes (``faust.StreamT`` does not declare ``take_events``)."""


def stop_this_process(agent: str, exc: BaseException) -> None:
    """Stop the worker as an operator would (SIGTERM), and end it hard if that hangs."""
    log.critical("agent %s died (%s: %s); stopping the worker", agent, type(exc).__name__, exc)
    os.kill(os.getpid(), signal.SIGTERM)
    timer = threading.Timer(STOP_GRACE_S, os._exit, (EXIT_AGENT_DIED,))
    timer.daemon = True
    timer.start()


def supervised(
    name: str,
    handle: Handler,
    states: AgentStates,
    on_crash: OnCrash = stop_this_process,
    batch_size: int = BATCH_SIZE,
    batch_seconds: float = BATCH_SECONDS,
    take: Take = take_events,
    order: InOrder | None = None,
) -> Callable[[Stream], AsyncIterator[None]]:
    """The faust agent function of ``handle``: batches in, one ``None`` out per batch
    (``order``: the gate that puts each partition's messages in offset order; None: the
    batches as they come); how long ``handle`` took over each batch goes to
    ``states.batches`` (``/metrics``)."""

    async def agent(stream: Stream) -> AsyncIterator[None]:
        states.running(name)
        try:
            held = (lambda event: False) if order is None else order.held
            async for batch in take(stream, batch_size, batch_seconds, held):
                admitted = batch if order is None else order.admit(batch)
                if admitted:
                    started = time.perf_counter()
                    await handle(admitted)
                    states.batches.observe(name, time.perf_counter() - started)
                if batch:  # an empty one only says time passed (the gate chases its holes)
                    yield None
        except Exception as exc:
            log.exception("agent %s died; its batch is not acknowledged", name)
            states.died(name, f"{type(exc).__name__}: {exc}")
            on_crash(name, exc)
            raise
        except BaseException:
            states.stopped(name, "stopped")
            raise

    return agent
