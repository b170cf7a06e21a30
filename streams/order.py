"""Each partition's messages reach an agent in offset order, whatever faust drops.

faust drops fetched messages around start-up and rebalances (a fetch cut short when its
flow control pauses, a record below the offset it last read) and reads them again only
after a seek, by then behind later messages of their partition. An agent that applied the
later ones first judged the dropped ones against a future they precede: three SIGKILLs
during a replay turned two in-band readings into ``late`` dead letters and lost their
points. Counting is immune (facts are deduplicated by event id), the cold chain is not:
its lateness rule is about the order readings are read in.

So an agent's batch passes :class:`InOrder` first. Per (topic, partition) it knows the
next offset due: one past the last message it handed over, or the committed offset if
that is further (after a rebalance another worker may have gone on). A message past the
offset due means faust skipped some: it is held back (not handed to the agent, not
acknowledged, so no commit passes it) and the partition is sought back to the offset due,
so the skipped ones and it come again, in order. A message before
the offset due is a redelivery and passes (the agents deduplicate). Kafka itself can skip
offsets (transaction markers, compaction; Lugang's producers write neither): a hole that
:data:`GAP_AFTER_SEEKS` seeks, :data:`RESEEK_AFTER_S` seconds apart, have not filled is
taken for one, with a warning: the commits are told they may pass it (the gate alone says
so: faust's own guess at gaps took seeks for them, see :mod:`streams.faustfix.drain`),
and the partition is sought back to the first message held.
Holes are chased on a clock, not only when messages come: the held ones come again only
after a seek, so a seek that lost its race with records fetched before it (the end of a
replay: nothing more arrives) must be made again, or the partition stalls for good.

A hole at a partition's tail shows no later message: when faust dropped everything fetched
from the offset due to the end (seen around rebalances with two workers: every agent idle,
the consumer at the end of every partition, one partition's commit far behind), nothing is
held and nothing would ever be read again. So a partition whose end, as the broker lately
said it (or, without a fresh word, the last message the consumer handed over to the
streams: it was read, so it exists), lies past its offset due, and none of whose messages
reached the agent for
:data:`TAIL_AFTER_S` seconds, is sought back to its offset due too. The gate counts those
seconds from when a message of the partition last reached it, or from when it first found
the partition assigned (``topics``), or last had no fresh end of it (paused while tables
recover, or Kafka away): a partition all of whose messages faust dropped since
it was assigned has reached the agent with none (the two-worker stall of the benchmark:
one worker's partitions committed at 515 of 16,556, never chased).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from streams.agents.ports import Received

log = logging.getLogger(__name__)

RESEEK_AFTER_S: Final = 5.0
"""How long a seek back to a hole may take to fill it before it is sought again (records
fetched before a seek can still arrive and make faust drop the hole's messages again)."""

GAP_AFTER_SEEKS: Final = 4
"""Seeks after which a hole still there is taken for offsets Kafka skips."""

TAIL_AFTER_S: Final = 15.0
"""How long a partition with messages past its offset due may go without one reaching the
agent before it is read again from its offset due (a tail faust dropped); a partition
merely behind gets messages every few seconds, and a needless seek only reads messages
again (the agents deduplicate)."""

Partition = tuple[str, int]


class Seeker(Protocol):
    """Where a partition's offsets stand in the consumer, and a way to read it again."""

    def committed(self, topic: str, partition: int) -> int | None:
        """The partition's committed offset (None: none known)."""
        ...

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Read the partition again from ``offset`` (in the background)."""
        ...

    def assigned(self, topic: str, partition: int) -> bool:
        """Whether the partition is (still) this consumer's."""
        ...

    def end(self, topic: str, partition: int) -> int | None:
        """The partition's end offset as the broker lately said it, else just past the last
        message the consumer handed over to the streams (None: neither known)."""
        ...

    def partitions(self, topics: Sequence[str]) -> list[tuple[str, int]]:
        """The partitions of ``topics`` assigned to this consumer now."""
        ...

    def skipped(self, topic: str, partition: int, first: int, stop: int) -> None:
        """Offsets ``first`` to ``stop - 1`` are not in the partition (Kafka skips them):
        commits may pass them."""
        ...


@dataclass
class _Hole:
    """Offsets missing in a partition before messages held back."""

    due: int  # the first offset missing
    first_held: int  # the lowest offset held back past it
    sought: float = -float("inf")  # when it was last sought (monotonic seconds)
    seeks: int = 0  # how many times it was sought at ``due``


class InOrder:
    """Admits the messages of each partition in offset order (one per agent)."""

    def __init__(
        self,
        seeker: Seeker,
        clock: Callable[[], float] = time.monotonic,
        reseek_after_s: float = RESEEK_AFTER_S,
        gap_after_seeks: int = GAP_AFTER_SEEKS,
        tail_after_s: float = TAIL_AFTER_S,
        topics: Sequence[str] = (),
    ) -> None:
        self.seeker = seeker
        self.topics = tuple(topics)  # the agent's: their partitions' tails are chased
        self.clock = clock
        self.reseek_after_s = reseek_after_s
        self.gap_after_seeks = gap_after_seeks
        self.tail_after_s = tail_after_s
        self._next: dict[Partition, int] = {}
        self._holes: dict[Partition, _Hole] = {}
        self._held: set[int] = set()
        self._seen: dict[Partition, float] = {}  # when a message of it last came

    def admit(self, batch: Sequence[Received]) -> list[Received]:
        """The batch's events to hand to the agent, in their order; the others are held
        (see :meth:`held`), and the holes before them chased (:meth:`chase`)."""
        admitted: list[Received] = []
        self._held = set()
        now = self.clock()
        committed: dict[Partition, int | None] = {}  # asked once a batch: it cannot move here
        for event in batch:
            message = event.message
            where = (message.topic, message.partition)
            self._seen[where] = now
            if where not in committed:
                committed[where] = self.seeker.committed(*where)
            due = _later(self._next.get(where), committed[where])
            if due is not None and message.offset > due:
                hole = self._holes.setdefault(where, _Hole(due, message.offset))
                hole.first_held = min(hole.first_held, message.offset)
                self._held.add(id(event))
                continue
            if due is None or message.offset >= due:
                self._next[where] = message.offset + 1
            admitted.append(event)
        self.chase()
        return admitted

    def held(self, event: Received) -> bool:
        """Whether the last :meth:`admit` held ``event`` back (it must not be acknowledged)."""
        return id(event) in self._held

    def chase(self) -> None:
        """Seek each partition with a hole back to it, unless sought lately; take a hole
        that :attr:`gap_after_seeks` seeks did not fill for a gap in the partition.

        Called after every batch and whenever no batch came for a while (see the
        module's docstring)."""
        now = self.clock()
        self._chase_tails(now)
        for where, hole in list(self._holes.items()):
            if not self.seeker.assigned(*where):  # another worker reads it now
                del self._holes[where]
                self._next.pop(where, None)
                continue
            due = self._due(where)
            if due is None or due >= hole.first_held:  # filled, or gone past elsewhere
                del self._holes[where]
                continue
            if due != hole.due:  # part of it came: a new hole
                hole.due, hole.sought, hole.seeks = due, -float("inf"), 0
            if now - hole.sought < self.reseek_after_s:
                continue
            if hole.seeks >= self.gap_after_seeks:
                log.warning(
                    "%s[%s]: offsets %s to %s never came after %s seeks; taking them for a gap",
                    *where,
                    due,
                    hole.first_held - 1,
                    hole.seeks,
                )
                del self._holes[where]
                self._next[where] = hole.first_held
                self.seeker.skipped(where[0], where[1], due, hole.first_held)
                self.seeker.seek(where[0], where[1], hole.first_held)  # the held ones
                continue
            log.warning(
                "%s[%s]: offset %s skipped by the consumer; reading again from it%s",
                *where,
                due,
                f" (seek {hole.seeks + 1})" if hole.seeks else "",
            )
            hole.sought, hole.seeks = now, hole.seeks + 1
            self.seeker.seek(where[0], where[1], due)

    def _chase_tails(self, now: float) -> None:
        """Seek back each partition whose messages past its offset due stopped coming for
        :attr:`tail_after_s` (a tail faust dropped: no later message shows the hole)."""
        if self.topics:  # from now on, the clock runs for a partition just assigned
            for where in self.seeker.partitions(self.topics):
                self._seen.setdefault(where, now)
        for where, seen in list(self._seen.items()):
            if where in self._holes:
                continue
            if not self.seeker.assigned(*where):  # another worker reads it now
                del self._seen[where]
                continue
            end = self.seeker.end(*where)
            if end is None:  # no word from the broker lately (paused, recovering, Kafka away)
                self._seen[where] = now  # the clock runs only while it says more is there
                continue
            if now - seen < self.tail_after_s:
                continue
            due = self._due(where)
            if due is None or due >= end:
                continue
            log.warning(
                "%s[%s]: offsets %s to %s reached no agent for %.0f s; reading again from %s",
                *where,
                due,
                end - 1,
                now - seen,
                due,
            )
            self._seen[where] = now
            self.seeker.seek(where[0], where[1], due)

    def describe(self, where: Partition) -> str:
        """What the gate knows of a partition, in one line (for :mod:`streams.waits`)."""
        hole = self._holes.get(where)
        seen = self._seen.get(where)
        return (
            f"next {self._next.get(where)} "
            f"hole {None if hole is None else (hole.due, hole.first_held, hole.seeks)} "
            f"quiet {None if seen is None else round(self.clock() - seen)} s"
        )

    def _due(self, where: Partition) -> int | None:
        return _later(self._next.get(where), self.seeker.committed(*where))


def _later(handed: int | None, committed: int | None) -> int | None:
    """The offset due next in a partition: past the last one handed to the agent and the
    group's committed one (None: neither known)."""
    if handed is None or committed is None:
        return committed if handed is None else handed
    return max(handed, committed)
