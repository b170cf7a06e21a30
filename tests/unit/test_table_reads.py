"""A faust table of raw bytes is read through its RocksDB store's own look-up: the value of
a key in the current event's partition (or, in a global table, in any), None for a missing
key, as the table's ``get`` gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
import pytest

from streams.agents.ports import PlainEvent, PlainMessage
from streams.faustfix.tables import FaustTable, as_current, store_reader

_RAW_TABLE: dict[str, Any] = {"key_type": bytes, "value_type": bytes}


def _owner(partition: int) -> PlainEvent:
    return PlainEvent(PlainMessage("t", partition, 0, b"k", None))


@pytest.fixture
def app(tmp_path: Path) -> faust.App:
    return faust.App("reads-test", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)


def _stored(table: Any, partition: int, key: bytes, value: bytes) -> None:
    owner = _owner(partition)
    as_current(owner)
    table.data[key] = value


def test_a_table_of_raw_bytes_reads_its_store_directly(app: faust.App) -> None:
    table = app.Table("tracks", **_RAW_TABLE)
    store: Any = table.data
    assert store_reader(table) == store._get  # noqa: SLF001 (the reader is that method)
    _stored(table, 2, b"MSKU9070323", b"track")
    faust_table = FaustTable(table)
    assert faust_table.get(b"MSKU9070323", _owner(2)) == b"track"
    assert faust_table.get(b"TGHU1234567", _owner(2)) is None
    as_current(_owner(2))
    assert table.get(b"MSKU9070323") == b"track"
    assert table.get(b"TGHU1234567") is None


def test_a_global_table_finds_a_key_in_any_partition(app: faust.App) -> None:
    table = app.GlobalTable("arrivals", **_RAW_TABLE)
    _stored(table, 3, b"X8001", b"2026-03-15T09:20:00+08:00")
    faust_table = FaustTable(table)
    assert faust_table.get(b"X8001") == b"2026-03-15T09:20:00+08:00"
    assert faust_table.get(b"X8002") is None


def test_another_store_is_read_through_the_table(tmp_path: Path) -> None:
    app = faust.App("reads-memory", store="memory://", datadir=str(tmp_path), autodiscover=False)
    table = app.Table("tracks", **_RAW_TABLE)
    assert store_reader(table) == table.get
    table.data[b"k"] = b"v"
    assert FaustTable(table).get(b"k") == b"v"
    assert FaustTable(table).get(b"missing") is None
