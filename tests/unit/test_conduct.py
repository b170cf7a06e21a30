"""A fetched message handed to its stream directly in the usual case, and through faust's
own callback in every other (streams/faustfix/conduct.py), on a real faust app not started."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust
import pytest
from faust.transport.conductor import ConductorCompiler
from faust.types import TP, Message

import streams.faustfix.conduct as conduct
from streams.faustfix import install

TP0 = TP("t", 0)
_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@pytest.fixture
def faust_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The offsets faust's own callback was given (it still delivers them)."""
    install()
    calls: list[int] = []
    faust_build = conduct._faust_build  # noqa: SLF001

    def recording_build(self: Any, conductor: Any, tp: Any, channels: Any) -> Any:
        delivered = faust_build(self, conductor, tp, channels)

        async def on_message(message: Any) -> None:
            calls.append(message.offset)
            await delivered(message)

        return on_message

    monkeypatch.setattr(conduct, "_faust_build", recording_build)
    return calls


def _message(offset: int, key: bytes | None = b"k", value: bytes | None = b"v") -> Message:
    return Message("t", 0, offset, 0.0, 0, [("h", b"1")], key, value, None, tp=TP0, generation_id=1)


def _app(name: str) -> faust.App:
    app = faust.App(name, autodiscover=False)
    app.flow_control.resume()
    return app


def _callback(app: faust.App, channels: set[Any]) -> Any:
    """The partition's callback, as the conductor builds it."""
    conductor: Any = app.topics
    return ConductorCompiler().build(conductor, TP0, channels)


def _deliver(app: faust.App, channels: set[Any], *messages: Message) -> None:
    async def run() -> None:
        callback = _callback(app, channels)
        for message in messages:
            await callback(message)

    asyncio.run(run())


def _queued(topic: Any) -> list[Any]:
    queue = topic.queue
    return [queue.get_nowait() for _ in range(queue.qsize())]


def test_a_message_of_a_raw_topic_goes_to_its_stream_directly(faust_calls: list[int]) -> None:
    calls = faust_calls
    app = _app("conduct-direct")
    topic = app.topic("t", **_RAW)
    messages = [_message(1), _message(2, key=None), _message(3, value=None)]
    _deliver(app, {topic}, *messages)
    assert calls == []
    events = _queued(topic)
    assert [event.message for event in events] == messages
    assert [(event.key, event.value, event.headers) for event in events] == [
        (b"k", b"v", {"h": b"1"}),
        (None, b"v", {"h": b"1"}),
        (b"k", None, {"h": b"1"}),
    ]
    assert all(isinstance(event, faust.Event) and event.app is app for event in events)
    assert [m.refcount for m in messages] == [1, 1, 1]  # one stream holds each


def test_faust_delivers_the_same_events(faust_calls: list[int]) -> None:
    """What faust's own callback queues is what the direct one does."""
    direct_app, faust_app = _app("conduct-same-a"), _app("conduct-same-b")
    direct, stock = direct_app.topic("t", **_RAW), faust_app.topic("t", **_RAW)
    _deliver(direct_app, {direct}, _message(5))
    faust_app.producer.buffer.__dict__["_lugang_threaded"] = True  # not ebbed: faust's path
    _deliver(faust_app, {stock}, _message(5))
    (got,), (want,) = _queued(direct), _queued(stock)
    assert (got.key, got.value, got.headers, got.message.offset, got.message.refcount) == (
        want.key,
        want.value,
        want.headers,
        want.message.offset,
        want.message.refcount,
    )


@pytest.mark.parametrize(
    "arrange",
    [
        lambda app, topic: app.flow_control.suspend(),
        lambda app, topic: app.producer.buffer.__dict__.__setitem__("_lugang_threaded", True),
        lambda app, topic: [topic.queue.force_put_nowait(None) for _ in range(topic.queue.maxsize)],
    ],
    ids=["flow suspended", "producer buffer not ebbed", "stream queue full"],
)
def test_anything_that_may_wait_goes_through_faust(
    faust_calls: list[int], arrange: Callable[[Any, Any], object]
) -> None:
    calls = faust_calls
    app = _app("conduct-wait")
    topic = app.topic("t", **_RAW)
    arrange(app, topic)

    async def run() -> None:
        callback = _callback(app, {topic})
        delivery = asyncio.ensure_future(callback(_message(1)))
        await asyncio.sleep(0.01)
        delivery.cancel()  # faust's callback waits (for the flow, the buffer or the queue)

    asyncio.run(run())
    assert calls == [1]


def test_two_streams_and_decoded_topics_go_through_faust(faust_calls: list[int]) -> None:
    calls = faust_calls
    app = _app("conduct-two")
    first, second = app.topic("t", **_RAW), app.topic("t", **_RAW)
    _deliver(app, {first, second}, _message(1))
    assert calls == [1]
    assert [m.message.refcount for m in _queued(first)] == [2]
    decoded = app.topic("t", value_type=bytes, value_serializer="json")
    _deliver(app, {decoded}, _message(2, value=b'"text"'))
    assert calls == [1, 2]
    assert [event.value for event in _queued(decoded)] == [b"text"]


def test_the_callback_is_looked_up_under_the_lock_only_while_it_is_held() -> None:
    """The subscription's indices change under the conductor's lock: a message that comes
    then waits for them; otherwise its callback is looked up at once."""
    install()
    app = _app("conduct-lock")
    conductor: Any = app.topics
    delivered: list[int] = []

    async def callback(message: Any) -> None:
        delivered.append(message.offset)

    async def run() -> None:
        conductor._tp_to_callback[TP0] = callback  # noqa: SLF001
        conductor.on_message = conductor._compile_message_handler()  # noqa: SLF001
        await conductor.on_message(_message(1))
        assert delivered == [1]
        lock = conductor._tp_to_callback_lock  # noqa: SLF001
        await lock.acquire()
        waiting = asyncio.ensure_future(conductor.on_message(_message(2)))
        await asyncio.sleep(0.01)
        assert delivered == [1]
        lock.release()
        await waiting
        assert delivered == [1, 2]

    asyncio.run(run())
