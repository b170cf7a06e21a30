"""Events of raw topics are built directly, and are the events faust's decoder builds."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from faust.transport.producer import ProducerBuffer
from faust.types import TP, Message

from streams.faustfix.events import (
    check_producer_ebb_quickly,
    decode_raw_directly,
    raw_bytes_both_ways,
)

_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


def _message(key: bytes | None, value: bytes | None) -> Message:
    return Message(
        "t", 0, 7, 0.0, 0, [("h", b"1")], key, value, None, tp=TP("t", 0), generation_id=1
    )


def _decoded(topic: Any, message: Message) -> Any:
    return asyncio.run(topic.decode(message, propagate=True))


def test_a_raw_topic_decodes_to_the_event_faust_builds() -> None:
    app = faust.App("events-test", autodiscover=False)
    stock = app.topic("t", **_RAW)
    decode_raw_directly()
    direct = app.topic("t", **_RAW)
    assert direct.decode is not stock.decode
    for key, value in [(b"k", b'{"a": 1}'), (None, b"v"), (b"k", None), (b"", b"")]:
        message = _message(key, value)
        want, got = _decoded(stock, message), _decoded(direct, message)
        assert type(got) is type(want)
        assert (got.key, got.value, got.headers, got.message) == (
            want.key,
            want.value,
            want.headers,
            want.message,
        )
        assert got.app is app


def test_a_topic_of_other_types_keeps_faust_decoder() -> None:
    app = faust.App("events-test-json", autodiscover=False)
    decode_raw_directly()
    topic = app.topic("t", value_type=bytes, value_serializer="json")
    assert not raw_bytes_both_ways(topic.schema)
    assert _decoded(topic, _message(b"k", b'"text"')).value == b"text"


def test_the_producer_buffer_waits_only_when_over_its_size() -> None:
    """Under its size, the buffer's check returns at once; over it, faust's own flush
    runs (``flush_atmost``), as before."""
    check_producer_ebb_quickly()
    app = faust.App("events-test-ebb", autodiscover=False)
    buffer = ProducerBuffer()
    buffer.app = app
    flushed: list[int | None] = []

    async def flush_atmost(n: int | None) -> int:
        flushed.append(n)
        return 0

    buffer.flush_atmost = flush_atmost  # type: ignore[method-assign,assignment]

    async def check(queued: int) -> None:
        while buffer.pending.qsize() < queued:
            buffer.pending.put_nowait(object())
        await buffer.wait_until_ebb()

    asyncio.run(check(buffer.max_messages))
    assert not flushed
    asyncio.run(check(buffer.max_messages + 1))
    assert flushed == [buffer.max_messages]
