"""faust's conductor handing a fetched message to its stream, its usual case in one step.

For every message, the conductor's ``on_message`` takes an ``asyncio.Lock`` to look up the
partition's callback (the lock is held only while the subscription's indices change), and
that callback (``ConductorCompiler.build``) awaits the flow control (suspended only for a
rebalance), the producer buffer's ebb (over its size only when the agents send faster than
Kafka takes), and the topic's decoder, and builds a set and a list for the case of a full
stream buffer. Usually a message goes to one stream of a raw topic, the flow is active, the
producer buffer under its size and the stream's queue not full: then
:func:`deliver_directly`'s callback does, without an await, what faust's does in that case
(count the reference, build the event as :func:`~.events.raw_decoder` does, put it in the
queue with faust's pressure callbacks). In any other case faust's own callback runs, and
the lock is taken whenever it is held.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableSet
from typing import Any

from faust.transport.conductor import Conductor, ConductorCompiler

from streams.faustfix.events import producer_ebbed, raw_event_maker

_faust_build = ConductorCompiler.build
_faust_compile_message_handler = Conductor._compile_message_handler

Callback = Callable[[Any], Awaitable[Any]]


def _build(self: Any, conductor: Any, tp: Any, channels: MutableSet[Any]) -> Callback:
    """The partition's callback: faust's, but for the usual case (the module's docstring)."""
    faust_callback: Callback = _faust_build(self, conductor, tp, channels)
    app = conductor.app
    is_active = app.flow_control.is_active
    buffer = app.producer.buffer
    on_topic_buffer_full = app.sensors.on_topic_buffer_full
    consumer_on_buffer_full = app.consumer.on_buffer_full
    consumer_on_buffer_drop = app.consumer.on_buffer_drop

    def on_pressure_high() -> None:  # as faust's callback reports a full stream buffer
        on_topic_buffer_full(tp)
        consumer_on_buffer_full(tp)

    def on_pressure_drop() -> None:
        consumer_on_buffer_drop(tp)

    async def on_message(message: Any) -> None:
        if len(channels) == 1 and is_active() and producer_ebbed(buffer):
            for channel in channels:
                make_event = raw_event_maker(channel)
                queue = channel.queue
                if make_event is not None and not queue.full():
                    message.incref(1)
                    queue.put_nowait_enhanced(
                        make_event(message),
                        on_pressure_high=on_pressure_high,
                        on_pressure_drop=on_pressure_drop,
                    )
                    return
        await faust_callback(message)

    return on_message


def _compile_message_handler(self: Any) -> Callback:
    """The conductor's ``on_message``: the partition's callback looked up under the lock
    only while the lock is held (faust takes it for every message)."""
    if self.app.client_only:
        faust_on_message: Callback = _faust_compile_message_handler(self)
        return faust_on_message
    lock = self._tp_to_callback_lock
    callback_for = self._tp_to_callback.__getitem__

    async def on_message(message: Any) -> None:
        if lock.locked():
            async with lock:
                callback = callback_for(message.tp)
        else:
            callback = callback_for(message.tp)
        await callback(message)

    return on_message


def deliver_directly() -> None:
    """Install the direct delivery on faust's conductors created from now on (idempotent)."""
    ConductorCompiler.build = _build  # type: ignore[method-assign]
    Conductor._compile_message_handler = _compile_message_handler  # type: ignore[method-assign]
