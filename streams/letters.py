"""Each input message dead-lettered once, across crashes: the ledger of the letters sent
for the messages of this worker's input partitions that its group has not committed yet.

An agent delivers a batch's dead letters before it writes what records the batch as
applied (a reefer's track, the group's commit), so that a crash in between redoes the
batch and loses nothing; but redoing it sent its letters again (the three-SIGKILL test
found a late reading dead-lettered twice). The dead-letter topic itself is the record of
what was sent, and the ledger reads it where it must:

- At each assignment (:meth:`LetterLedger.assign`) it reads the letters of the assigned
  input partitions from the offsets their group committed on: those letters may be sent
  again, and are not (:meth:`LetterLedger.claim`). It reads the dead-letter topic from
  positions stored with the commit (:meth:`LetterLedger.mark`, Kafka's commit metadata),
  before which no such letter lies, so the read is bounded by the letters sent since the
  commit; with no mark (a first start, or a commit without one) it reads the whole topic.
- While the worker runs, every letter it sends is claimed before it is sent (a message
  read again after a seek is not dead-lettered twice either), and placed once Kafka has
  it; a letter whose sending failed is released, to be sent when its batch is redone.

A mark for a commit at offset ``c`` of an input partition is, per dead-letter partition,
the lowest position any letter of an offset at or past ``c`` has or may get: the position
of each such letter placed, the floor of its partitions when a letter still in flight was
claimed, and the floor now (the position past this worker's last placed letter, or the
end the last assignment read). Nothing is acknowledged before its letters are placed, so
the marks only grow with the commits.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

Source = tuple[str, int, int]
"""An input message: topic, partition, offset."""

Placed = tuple[int, int]
"""Where a letter is in the dead-letter topic: partition, offset."""

MARK_PREFIX = "lugang-dead-letters:"
"""What starts a commit's metadata that Lugang wrote (other tools may write their own)."""

RETRY_S = 2.0
"""How long an assignment waits before reading the dead-letter topic again after a failure."""


def format_mark(positions: Mapping[int, int]) -> str:
    """The commit metadata of ``positions`` (dead-letter partition -> offset)."""
    body = ",".join(f"{partition}={offset}" for partition, offset in sorted(positions.items()))
    return MARK_PREFIX + body


def parse_mark(metadata: str | None) -> dict[int, int] | None:
    """The positions of a commit's metadata; None when it holds no mark of Lugang's."""
    if not metadata or not metadata.startswith(MARK_PREFIX):
        return None
    positions: dict[int, int] = {}
    for item in filter(None, metadata.removeprefix(MARK_PREFIX).split(",")):
        partition, _, offset = item.partition("=")
        try:
            positions[int(partition)] = int(offset)
        except ValueError:
            return None
    return positions


@dataclass(frozen=True)
class Found:
    """What an assignment read: the letters of the partitions' uncommitted offsets, and
    the end of each dead-letter partition when it read it."""

    letters: Mapping[Source, Placed]
    ends: Mapping[int, int]


class LetterArchive(Protocol):
    """The dead-letter topic and the group's commits, as an assignment reads them."""

    async def uncommitted_letters(self, partitions: set[tuple[str, int]]) -> Found:
        """The letters of the messages of ``partitions`` (topic, partition) at or past
        their group's committed offsets, read from the positions of the commits' marks."""
        ...


class LetterLedger:
    """The letters of this worker's input partitions not yet behind their commits.

    Used from the event loop (claims, assignments) and from faust's consumer thread
    (:meth:`mark`, :meth:`committed`), hence the lock.
    """

    def __init__(self, archive: LetterArchive | None = None) -> None:
        self._archive = archive
        self._lock = threading.Lock()
        # input partition -> offset -> lowest position per dead-letter partition
        self._letters: dict[tuple[str, int], dict[int, dict[int, int]]] = {}
        self._floor: dict[int, int] = {}  # lowest position of a letter sent from now on
        self._ready = asyncio.Event()
        self._ready.set()
        self._generation = 0
        self._reading: asyncio.Future[None] | None = None

    async def ready(self) -> None:
        """Return once the letters of the current assignment are read."""
        await self._ready.wait()

    def claim(self, source: Source) -> bool:
        """Whether to send the letter of ``source``: False when it is lettered already
        (or in flight); True claims it."""
        topic, partition, offset = source
        with self._lock:
            letters = self._letters.setdefault((topic, partition), {})
            if offset in letters:
                return False
            letters[offset] = dict(self._floor)
            return True

    def release(self, sources: Iterable[Source]) -> None:
        """Forget claims whose letters may not have been sent."""
        with self._lock:
            for topic, partition, offset in sources:
                self._letters.get((topic, partition), {}).pop(offset, None)

    def placed(self, letters: Iterable[tuple[Source, Placed]]) -> None:
        """Record where Kafka put the claimed letters."""
        with self._lock:
            for (topic, partition, offset), (at_partition, at_offset) in letters:
                known = self._letters.get((topic, partition))
                if known is not None and offset in known:
                    known[offset] = {at_partition: at_offset}
                floor = self._floor.get(at_partition, 0)
                self._floor[at_partition] = max(floor, at_offset + 1)

    def mark(self, topic: str, partition: int, committed: int) -> str:
        """The commit metadata for committing ``committed`` on the input partition (empty
        while no assignment has read the dead-letter topic: the next reads all of it)."""
        with self._lock:
            if not self._floor:
                return ""
            positions = dict(self._floor)
            for offset, lowest in self._letters.get((topic, partition), {}).items():
                if offset >= committed:
                    for at_partition, at_offset in lowest.items():
                        positions[at_partition] = min(
                            positions.get(at_partition, at_offset), at_offset
                        )
        return format_mark(positions)

    def committed(self, topic: str, partition: int, committed: int) -> None:
        """Forget the letters of offsets before ``committed``, which Kafka now holds as the
        input partition's committed offset (they are never read again)."""
        with self._lock:
            known = self._letters.get((topic, partition), {})
            for offset in [offset for offset in known if offset < committed]:
                del known[offset]

    def assign(self, partitions: set[tuple[str, int]]) -> asyncio.Future[None]:
        """Start reading the letters of the input ``partitions`` now assigned; sending
        waits until it is done. An assignment made meanwhile supersedes this one."""
        self._generation += 1
        if self._archive is None:
            return asyncio.ensure_future(asyncio.sleep(0))
        self._ready.clear()
        reading = self._read(self._archive, partitions, self._generation)
        self._reading = asyncio.ensure_future(reading)
        return self._reading

    async def _read(
        self, archive: LetterArchive, partitions: set[tuple[str, int]], generation: int
    ) -> None:
        while True:
            try:
                found = await archive.uncommitted_letters(partitions)
                break
            except Exception as exc:  # the broker away: letters wait, none is sent twice
                log.warning(
                    "could not read the dead-letter topic (%s: %s); letters wait, trying "
                    "again in %g s",
                    type(exc).__name__,
                    exc,
                    RETRY_S,
                )
                await asyncio.sleep(RETRY_S)
            if generation != self._generation:
                return
        if generation != self._generation:
            return
        with self._lock:
            self._letters = {tp: self._letters.get(tp, {}) for tp in partitions}
            for (topic, partition, offset), (at_partition, at_offset) in found.letters.items():
                self._letters[(topic, partition)].setdefault(offset, {at_partition: at_offset})
            for at_partition, end in found.ends.items():
                self._floor[at_partition] = max(self._floor.get(at_partition, 0), end)
        if found.letters:
            log.info(
                "%d dead letters of uncommitted input found; they are not sent again",
                len(found.letters),
            )
        self._ready.set()
