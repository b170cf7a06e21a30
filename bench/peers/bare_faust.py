"""The framework's ceiling: a faust worker whose one agent only decodes each event.

It reads the three input topics as the Lugang worker's agents do (raw bytes, in
``take_events`` batches of the same size and wait) and parses each value with orjson; no
validation, no tables, no sinks, no dead letters (the benchmark's topics hold validated
records only). ``take_events`` is the faster way through faust here: plain ``async for``
over the events measured about a fifth slower. Configured by the worker's ``LUGANG_*``
variables (bootstrap, topic prefix, app id, data folder, web port); stopped by SIGTERM.

    LUGANG_APP_ID=bare .venv/bin/python -m bench.peers.bare_faust
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import faust
import orjson

from lugang.settings import Settings
from lugang.topics import TopicNames
from streams.supervision import BATCH_SECONDS, BATCH_SIZE


def create_app(settings: Settings) -> faust.App:
    """A faust app with one agent over ``trains``, ``containers`` and ``reefer``."""
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        web_host=settings.web_host,
        web_port=settings.web_port,
        stream_wait_empty=False,
        autodiscover=False,
    )
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    topic = app.topic(*TopicNames(settings.topic_prefix).inputs, **raw)

    async def decode(stream: Any) -> AsyncIterator[None]:
        async for batch in stream.take_events(BATCH_SIZE, within=BATCH_SECONDS):
            for event in batch:
                orjson.loads(event.message.value)
            yield None

    app.agent(topic, name="decode")(decode)
    return app


def main() -> None:
    faust.Worker(create_app(Settings()), loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
