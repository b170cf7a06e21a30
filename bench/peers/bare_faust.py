"""The framework's ceiling: a faust worker whose one agent only decodes each event.

It reads the three input topics as the Lugang worker's agents do (raw bytes, in
``take_events`` batches of the same size and wait) and parses each value with orjson; no
validation, no tables, no sinks, no dead letters (the benchmark's topics hold validated
records only). ``take_events`` is the faster way through faust here: plain ``async for``
over the events measured about a fifth slower. Configured by the worker's ``LUGANG_*``
variables (bootstrap, topic prefix, app id, data folder, web port); stopped by SIGTERM.

With ``--lugang-faust`` it runs on the faust the worker runs on: Lugang's fetch loop
(:mod:`streams.faustfix.drain`), events of raw topics built directly
(:mod:`streams.faustfix.events`) and handed to their stream without an await
(:mod:`streams.faustfix.conduct`), and batches taken from the stream's queue
(:mod:`streams.faustfix.take`), so the benchmark shows how much of the worker's gain over
stock faust is the framework's part.

    LUGANG_APP_ID=bare .venv/bin/python -m bench.peers.bare_faust [--lugang-faust]
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import faust
import orjson

from lugang.settings import Settings
from lugang.topics import TopicNames
from streams.faustfix.conduct import deliver_directly
from streams.faustfix.drain import deliver_at_first_step
from streams.faustfix.events import check_producer_ebb_quickly, decode_raw_directly
from streams.faustfix.take import take_events
from streams.supervision import BATCH_SECONDS, BATCH_SIZE

FAUSTFIX_FLAG = "--lugang-faust"


def create_app(settings: Settings, lugang_faust: bool = False) -> faust.App:
    """A faust app with one agent over ``trains``, ``containers`` and ``reefer``
    (``lugang_faust``: on Lugang's fetch loop, raw decode and batch take)."""
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
        if lugang_faust:
            batches = take_events(stream, BATCH_SIZE, BATCH_SECONDS)
        else:
            batches = stream.take_events(BATCH_SIZE, within=BATCH_SECONDS)
        async for batch in batches:
            for event in batch:
                orjson.loads(event.message.value)
            yield None

    app.agent(topic, name="decode")(decode)
    return app


def main() -> None:
    lugang_faust = FAUSTFIX_FLAG in sys.argv[1:]
    if lugang_faust:
        deliver_at_first_step()
        deliver_directly()
        decode_raw_directly()
        check_producer_ebb_quickly()
    app = create_app(Settings(), lugang_faust)
    faust.Worker(app, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
