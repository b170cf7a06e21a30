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

from collections.abc import Callable
from typing import Any

from faust.topics import Topic
from faust.transport.producer import ProducerBuffer

_faust_compile_decode = Topic._compile_decode


def raw_bytes_both_ways(schema: Any) -> bool:
    """Whether a schema's keys and values are raw bytes (faust's ``raw`` codec, ``bytes``)."""
    return (
        schema.key_type is bytes
        and schema.value_type is bytes
        and schema.key_serializer == "raw"
        and schema.value_serializer == "raw"
    )


class RawDecode:
    """A topic's ``decode`` for raw bytes: the event of the message's own key, value and
    headers (what faust's decoder gives such a topic, empty values included); :meth:`event`
    builds it without an await (:mod:`.conduct`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._event_type: Any = None

    def event(self, message: Any) -> Any:
        """The message's event."""
        event_type = self._event_type
        if event_type is None:  # settled once the app is configured, as every topic is
            event_type = self._event_type = self.app.conf.Event
        return event_type(self.app, message.key, message.value, message.headers, message)

    async def __call__(self, message: Any, *, propagate: bool = False) -> Any:
        return self.event(message)


def raw_decoder(app: Any) -> RawDecode:
    """A topic's ``decode`` for raw bytes (:class:`RawDecode`)."""
    return RawDecode(app)


def raw_event_maker(channel: Any) -> Callable[[Any], Any] | None:
    """How a channel (topic) with :class:`RawDecode` makes a message's event without an
    await; None for one with faust's decoder."""
    decode = channel.decode
    return decode.event if type(decode) is RawDecode else None


def _compile_decode(self: Any) -> None:
    _faust_compile_decode(self)
    if raw_bytes_both_ways(self.schema):
        self.decode = raw_decoder(self.app)


def decode_raw_directly() -> None:
    """Install the direct decoder on faust's topics created from now on (idempotent)."""
    Topic._compile_decode = _compile_decode  # type: ignore[method-assign]


_faust_wait_until_ebb = ProducerBuffer.wait_until_ebb


def producer_ebbed(buffer: Any) -> bool:
    """Whether faust's ``ProducerBuffer.wait_until_ebb`` would return at once: a buffer of
    an unthreaded producer under its size. faust's ``size`` reads the app's settings twice
    each time (``producer_threaded``); this reads the setting once (it does not change
    while the app runs)."""
    threaded = buffer.__dict__.get("_lugang_threaded")
    if threaded is None:
        threaded = buffer.__dict__["_lugang_threaded"] = bool(buffer.app.conf.producer_threaded)
    return not threaded and bool(buffer.pending.qsize() <= buffer.max_messages)


async def _wait_until_ebb(self: Any) -> None:
    """faust's ``ProducerBuffer.wait_until_ebb``, returning at once when
    :func:`producer_ebbed`."""
    if producer_ebbed(self):
        return
    await _faust_wait_until_ebb(self)


def check_producer_ebb_quickly() -> None:
    """Install the quicker check on faust's producer buffers (idempotent); before the
    conductor compiles its callbacks, which take the method when they are made."""
    ProducerBuffer.wait_until_ebb = _wait_until_ebb  # type: ignore[method-assign]
