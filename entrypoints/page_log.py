"""The cold-chain exceptions a worker pages, read back from its ``pages`` topic.

The demo's board lists exceptions that have closed as well as those still open: a
newcomer should see one open and close. ``/status`` has only the open ones, and the demo
sends a week of history in seconds, so most open and close between two refreshes. Every
opening and closing goes through the ``pages`` topic on its way to Alertmanager
(:mod:`streams.pager`), with or without Alertmanager configured, so the demo reads it from
the beginning, as the paging agent does, without joining the worker's group.

The requests are read as JSON, not validated again: the worker validated them, and a
validation here would check commodities against the packaged reference, not the demo's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

import orjson
from kafka import KafkaConsumer, TopicPartition

Change = Literal["opened", "closed", "opened and closed"]
"""What a page request changed about an exception: ``opened and closed`` when the first
request about it already closed it (it opened and closed within one batch of readings)."""


class ExceptionLog:
    """Every exception paged so far, as it stands: once closed, it stays closed."""

    def __init__(self) -> None:
        self._by_id: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def take(self, request: bytes) -> list[tuple[Change, dict[str, Any]]]:
        """Fold in one page request (the JSON of ``streams.schema.pages.PageRequest``);
        return what it changed. Re-sends and live re-checks of open ones change nothing."""
        changes: list[tuple[Change, dict[str, Any]]] = []
        with self._lock:
            for exception in orjson.loads(request).get("exceptions", []):
                known = self._by_id.get(exception["exception_id"])
                closing = exception["status"] == "CLOSED"
                if known is None:
                    changes.append(("opened and closed" if closing else "opened", exception))
                elif closing and known["status"] != "CLOSED":
                    changes.append(("closed", exception))
                else:
                    continue
                self._by_id[exception["exception_id"]] = exception
        return changes

    def all(self) -> list[dict[str, Any]]:
        """The exceptions, in the order they were first paged."""
        with self._lock:
            return list(self._by_id.values())


def follow_pages(
    bootstrap: str,
    topic: str,
    log: ExceptionLog,
    stop: threading.Event,
    on_change: Callable[[Change, dict[str, Any]], None],
) -> None:
    """Read ``topic`` (the one-partition ``pages`` topic, which must exist) from the
    beginning into ``log`` until ``stop`` is set, calling ``on_change`` for each change."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, client_id="lugang-demo-board", enable_auto_commit=False
    )
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        while not stop.is_set():
            for messages in consumer.poll(timeout_ms=500).values():
                for message in messages:
                    for change, exception in log.take(message.value):
                        on_change(change, exception)
    finally:
        consumer.close()
