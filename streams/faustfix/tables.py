"""faust's tables and topics behind the agents' Protocols (``streams.agents.ports``).

Private API used here, and why:

- ``faust.streams._current_event``: a table writes a key to the changelog partition (and
  the RocksDB partition) of the *current event*, and batches taken with ``take_events``
  leave none set; so before touching a key the agent names an event of that key, whose
  partition is the key's.
- ``table.data`` and ``table.send_changelog``: ``table[key] = value`` only queues its
  changelog message; faust flushes that queue before it commits offsets, but the flush
  gives up when no message leaves within 0.1 s (``ProducerBuffer.flush_atmost``), so on
  a busy worker an offset could be committed ahead of the state it depends on, and
  SIGKILL lost the write. Writes go to the store and the changelog here, and the agent
  awaits their delivery before it takes its next batch (which acknowledges this one).
- the RocksDB store's ``_get``: ``table.get(key)`` goes through ``Mapping.get``, the
  table's sensors, a membership test and then the look-up (two reads of RocksDB for a key
  that is there; for one that is not, a ``KeyError`` through three layers), and each key
  through the serializer registry; 40 µs a read under cProfile, most of them of global
  tables (``arrivals``, ``dwell``) for keys that are not there. The store's own ``_get``
  reads once and gives None for a missing key; a table of raw bytes stores its keys and
  values as they are, so nothing is to encode or decode.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterable
from typing import Any, cast

import faust
from aiokafka.partitioner import murmur2
from faust.stores.rocksdb import Store as RocksDBStore

from streams.agents.ports import Received


def as_current(event: Received) -> None:
    """Make ``event`` faust's current event, as iterating a stream does one at a time."""
    faust.streams._current_event.set(weakref.ref(event))  # type: ignore[arg-type]


class FaustTable:
    """A faust table of raw bytes (keys and values) as a :class:`~streams.agents.ports.Table`."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._deliveries: list[asyncio.Future[Any]] = []
        self._read: Callable[[bytes], bytes | None] | None = None

    def get(self, key: bytes, owner: Received | None = None) -> bytes | None:
        if owner is not None:
            as_current(owner)
        if self._read is None:  # the store exists once the app runs, not when it is built
            self._read = store_reader(self.table)
        return self._read(key)

    def __contains__(self, key: object) -> bool:
        return key in self.table

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        items: Iterable[tuple[bytes, bytes]] = self.table.items()
        return items

    def values(self) -> Iterable[bytes]:
        values: Iterable[bytes] = self.table.values()
        return values

    def put(self, owner: Received, key: bytes, value: bytes | None) -> None:
        partition = owner.message.partition
        if value is None:
            self.delete_in(partition, key)
            return
        as_current(owner)
        self.table.data[key] = value
        self._deliveries.append(self.table.send_changelog(partition, key, value))

    def delete_in(self, partition: int, key: bytes) -> None:
        data = self.table.data
        if key in data:
            del data[key]
        sent = self.table.send_changelog(partition, key, None, value_serializer="raw")
        self._deliveries.append(sent)

    async def delivered(self) -> None:
        deliveries, self._deliveries = self._deliveries, []
        await asyncio.gather(*deliveries)


def store_reader(table: Any) -> Callable[[bytes], bytes | None]:
    """How to read a key of ``table``: its RocksDB store's own ``_get`` for a table of raw
    bytes (keys in the current event's partition, or, in a global table, in whichever
    partition holds them), else the table's ``get``."""
    store = table.data
    raw = store.key_serializer == "raw" and store.value_serializer == "raw"
    if raw and isinstance(store, RocksDBStore) and table.value_type is bytes:
        read: Callable[[bytes], bytes | None] = store._get
        return read
    return cast(Callable[[bytes], "bytes | None"], table.get)


def key_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as faust's and kafka-python's
    producers use) gives ``key`` among ``partitions``."""
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % partitions


class FaustOutbox:
    """A faust topic as an :class:`~streams.agents.ports.Outbox`."""

    def __init__(self, topic: Any) -> None:
        self.topic = topic
        self._deliveries: list[asyncio.Future[Any]] = []

    async def send(self, key: bytes | None, value: bytes) -> None:
        self._deliveries.append(await self.topic.send(key=key, value=value))

    async def delivered(self) -> None:
        await self.placed()

    async def placed(self) -> list[tuple[int, int]]:
        deliveries, self._deliveries = self._deliveries, []
        return [(sent.partition, sent.offset) for sent in await asyncio.gather(*deliveries)]


def tables_recovered(app: Any) -> bool:
    """Whether faust has recovered the app's tables from their changelogs (its recovery
    service's ``completed`` event, which the App's typing does not show)."""
    return bool(app.tables.recovery.completed.is_set())


def tables_settled(app: Any) -> bool:
    """Whether timers may read and write the tables: recovered, and no rebalance under way.

    faust runs timers through rebalances, and a newly assigned partition's table holds,
    until its recovery ends, what this worker's standby copy had read: a timer that settled
    a container's track then wrote an old track into the changelog after the recovery's
    last write (a closed exception showed open again in InfluxDB, and readings were judged
    without the move the old track lacked). ``app.rebalancing`` lasts until recovery ends.
    """
    return tables_recovered(app) and not app.rebalancing
