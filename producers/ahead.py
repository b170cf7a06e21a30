"""Validation ahead of the send: a child process parses and validates a recording's lines
while this process produces them.

kafka-python's send path is pure Python (its record builder and its I/O thread share this
process's GIL), so reading and validating each record in the same process held replay to
about 0.55 of kafka-python's raw send rate. With a child process reading ahead, this one
only produces: chunks of raw lines go to the child, their records and verdicts come back in
file order, at most :data:`AHEAD` chunks in flight (a bounded memory whatever the file's
size). The child starts when the :class:`Checker` is made, so that its start (a new
interpreter importing the contract, about 0.4 s) overlaps the caller's first read of the
file, and until it is ready this process checks the first chunks itself. A small
recording is checked in process: the child would cost more than it saves.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from types import TracebackType

from lugang.reference import Reference
from producers.records import Record
from producers.sender import verdict

CHUNK_LINES = 1000
"""Lines handed to the child at a time."""
AHEAD = 4
"""Chunks in flight: the child is this far ahead of the producer at most."""
IN_CHILD_FROM_BYTES = 1_000_000
"""Recordings from this size (about 4,000 records) are checked in a child process."""

Checked = tuple[Record, str | None]
"""A record and why it breaks the event contract (None: it keeps it)."""

_Row = tuple[str, str | None, bytes, int, str | None]

_in_child: dict[str, Reference] = {}
"""What the child process keeps between chunks: the reference to validate against."""


def check_lines(lines: Iterable[bytes], reference: Reference) -> list[_Row]:
    """Parse recording lines into records and validate each (plain tuples: cheap to pass
    between processes)."""
    rows: list[_Row] = []
    for line in lines:
        record = Record.from_line(line)
        reason = verdict(record, reference)
        rows.append((record.topic, record.key, record.value, record.timestamp_ms, reason))
    return rows


class Checker:
    """Checks recording lines against the event contract, in a child process when
    ``in_child`` (started at once), else in this one."""

    def __init__(self, in_child: bool) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[None] | None = None
        if in_child:
            context = get_context("spawn")
            self._pool = ProcessPoolExecutor(1, context, initializer=_ignore_ctrl_c)
            self._ready = self._pool.submit(_ready)

    def wait_started(self, timeout: float = 60) -> None:
        """Wait until the child has started (no child: at once)."""
        if self._ready is not None:
            self._ready.result(timeout)

    def checked(self, lines: Iterable[bytes], reference: Reference) -> Iterator[Checked]:
        """The records of recording ``lines`` (read once already and found readable) with
        their verdicts, in order."""
        chunks = _chunks(lines, CHUNK_LINES)
        if self._pool is None:
            for chunk in chunks:
                yield from _records(check_lines(chunk, reference))
            return
        # One child takes the tasks in the order they are given: the reference first.
        self._pool.submit(_keep, reference)
        pending: deque[Future[list[_Row]]] = deque()
        for chunk in chunks:
            if not pending and self._ready is not None and not self._ready.done():
                # The child is still starting: check this chunk here rather than wait.
                yield from _records(check_lines(chunk, reference))
                continue
            pending.append(self._pool.submit(_check_in_child, chunk))
            if len(pending) >= AHEAD:
                yield from _records(pending.popleft().result())
        while pending:
            yield from _records(pending.popleft().result())

    def close(self) -> None:
        """Stop the child (what it still had to check is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Checker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _chunks(lines: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _records(rows: list[_Row]) -> Iterator[Checked]:
    for topic, key, value, timestamp_ms, reason in rows:
        yield Record(topic, key, value, timestamp_ms), reason


def _ignore_ctrl_c() -> None:
    """Ctrl-C is the parent's: it stops the child as it unwinds (a KeyboardInterrupt in
    the child would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    """The first task: it makes the pool start its child now."""


def _keep(reference: Reference) -> None:
    _in_child["reference"] = reference


def _check_in_child(lines: list[bytes]) -> list[_Row]:
    return check_lines(lines, _in_child["reference"])
