"""A table of the agents kept in a dict: the in-memory implementation of the
:class:`~streams.agents.ports.Table` port, for running agents without a broker (the unit
tests, ``bench/offline.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from streams.agents.ports import Received


class MemoryTable:
    """A table in a dict; ``writes`` counts the writes, ``deliveries`` the awaits."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.writes = 0
        self.pending = 0
        self.deliveries = 0

    def get(self, key: bytes, owner: Received | None = None) -> bytes | None:
        return self.data.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self.data.items())

    def values(self) -> Iterable[bytes]:
        return list(self.data.values())

    def put(self, owner: Received, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value
        self.writes += 1
        self.pending += 1

    def delete_in(self, partition: int, key: bytes) -> None:
        self.data.pop(key, None)
        self.writes += 1
        self.pending += 1

    async def delivered(self) -> None:
        self.pending = 0
        self.deliveries += 1
