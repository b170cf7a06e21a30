"""A minimal faust-streaming app for the foundation tests: it counts events per key.

Run as a worker by ``test_faust.py``; configured through COUNTER_* environment variables.
Each event increments the key's count in a table (changelog-backed, RocksDB store) and the
new count is sent to the output topic, so the test can watch the table from outside.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import faust

app = faust.App(
    os.environ["COUNTER_APP_ID"],
    broker=f"kafka://{os.environ['COUNTER_BOOTSTRAP']}",
    store=os.environ.get("COUNTER_STORE", "rocksdb://"),
    datadir=os.environ["COUNTER_DATADIR"],
    topic_partitions=2,
    web_enabled=False,
    broker_session_timeout=10,
    broker_heartbeat_interval=1,
)
source = app.topic(
    os.environ["COUNTER_SOURCE"],
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
output = app.topic(os.environ["COUNTER_OUTPUT"], key_serializer="raw", value_serializer="raw")
counts = app.Table("counts", default=int)


@app.agent(source)
async def count(events: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for key, _value in events.items():
        assert isinstance(key, bytes)
        name = key.decode()
        counts[name] += 1
        await output.send(key=key, value=str(counts[name]).encode())
        yield None


if __name__ == "__main__":
    app.main()
