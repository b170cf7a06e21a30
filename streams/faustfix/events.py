"""faust's per-message work before an event is queued for its stream, made cheaper.

A topic's ``decode`` (``Topic._compile_decode``: ``Schema.compile``) turns each fetched
message into an event: the key and the value each through the serializer registry (the
codec looked up by name, ``want_bytes``, ``_prepare_payload``), then ``app.create_event``,
which reads the ``Event`` class from the app's settings. For a topic of raw bytes both ways,
as all of Lugang's are, all of that gives back the message's own key and value: this
builds the same event directly. It was 24 µs of each message's cost in the worker's
profile (under cProfile), paid by the bare faust agent too.

Other topics keep faust's decoder.

Before that, the conductor asks the producer's buffer, for every message, whether it is
over its size (``wait_until_ebb``); faust's ``size`` reads the app's settings twice each
time (``producer_threaded``): 1.9 s of a 71 s profile. :func:`check_producer_ebb_quickly`
reads the setting once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faust.topics import Topic
from faust.transport.producer import ProducerBuffer

_faust_compile_decode = Topic._compile_decode

RawDecode = Callable[..., Awaitable[Any]]


def raw_bytes_both_ways(schema: Any) -> bool:
    """Whether a schema's keys and values are raw bytes (faust's ``raw`` codec, ``bytes``)."""
    return (
        schema.key_type is bytes
        and schema.value_type is bytes
        and schema.key_serializer == "raw"
        and schema.value_serializer == "raw"
    )


def raw_decoder(app: Any) -> RawDecode:
    """A topic's ``decode`` for raw bytes: the event of the message's own key, value and
    headers (what faust's decoder gives such a topic, empty values included)."""
    event_type: Any = None

    async def decode(message: Any, *, propagate: bool = False) -> Any:
        nonlocal event_type
        if event_type is None:  # settled once the app is configured, as every topic is
            event_type = app.conf.Event
        return event_type(app, message.key, message.value, message.headers, message)

    return decode


def _compile_decode(self: Any) -> None:
    _faust_compile_decode(self)
    if raw_bytes_both_ways(self.schema):
        self.decode = raw_decoder(self.app)


def decode_raw_directly() -> None:
    """Install the direct decoder on faust's topics created from now on (idempotent)."""
    Topic._compile_decode = _compile_decode  # type: ignore[method-assign]


_faust_wait_until_ebb = ProducerBuffer.wait_until_ebb


async def _wait_until_ebb(self: Any) -> None:
    """faust's ``ProducerBuffer.wait_until_ebb``, whose ``size`` reads the app's settings
    twice for every message the conductor hands over, with ``producer_threaded`` read once
    (the setting does not change while the app runs)."""
    threaded = self.__dict__.get("_lugang_threaded")
    if threaded is None:
        threaded = self.__dict__["_lugang_threaded"] = bool(self.app.conf.producer_threaded)
    if not threaded and self.pending.qsize() <= self.max_messages:
        return
    await _faust_wait_until_ebb(self)


def check_producer_ebb_quickly() -> None:
    """Install the quicker check on faust's producer buffers (idempotent); before the
    conductor compiles its callbacks, which take the method when they are made."""
    ProducerBuffer.wait_until_ebb = _wait_until_ebb  # type: ignore[method-assign]
