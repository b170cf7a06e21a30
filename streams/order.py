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
taken for one, with a warning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from streams.agents.ports import Received

log = logging.getLogger(__name__)

RESEEK_AFTER_S: Final = 5.0
"""How long a seek back to a hole may take to fill it before it is sought again (records
fetched before a seek can still arrive and make faust drop the hole's messages again)."""

GAP_AFTER_SEEKS: Final = 4
"""Seeks after which a hole still there is taken for offsets Kafka skips."""

Partition = tuple[str, int]


class Seeker(Protocol):
    """Where a partition's offsets stand in the consumer, and a way to read it again."""

    def committed(self, topic: str, partition: int) -> int | None:
        """The partition's committed offset (None: none known)."""
        ...

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Read the partition again from ``offset`` (in the background)."""
        ...


class InOrder:
    """Admits the messages of each partition in offset order (one per agent)."""

    def __init__(
        self,
        seeker: Seeker,
        clock: Callable[[], float] = time.monotonic,
        reseek_after_s: float = RESEEK_AFTER_S,
        gap_after_seeks: int = GAP_AFTER_SEEKS,
    ) -> None:
        self.seeker = seeker
        self.clock = clock
        self.reseek_after_s = reseek_after_s
        self.gap_after_seeks = gap_after_seeks
        self._next: dict[Partition, int] = {}
        self._seeks: dict[Partition, tuple[int, float, int]] = {}  # offset, when, how many
        self._held: set[int] = set()

    def admit(self, batch: Sequence[Received]) -> list[Received]:
        """The batch's events to hand to the agent, in their order; the others are held
        (see :meth:`held`) and their partitions sought back."""
        admitted: list[Received] = []
        self._held = set()
        for event in batch:
            message = event.message
            where = (message.topic, message.partition)
            due = self._due(where)
            if due is not None and message.offset > due and not self._gap(where, due):
                self._held.add(id(event))
                continue
            if due is None or message.offset >= due:
                self._next[where] = message.offset + 1
                self._seeks.pop(where, None)
            admitted.append(event)
        return admitted

    def held(self, event: Received) -> bool:
        """Whether the last :meth:`admit` held ``event`` back (it must not be acknowledged)."""
        return id(event) in self._held

    def _due(self, where: Partition) -> int | None:
        committed = self.seeker.committed(*where)
        handed = self._next.get(where)
        if handed is None or committed is None:
            return committed if handed is None else handed
        return max(handed, committed)

    def _gap(self, where: Partition, due: int) -> bool:
        """Seek ``where`` back to ``due`` unless done lately; whether the hole has outlasted
        :attr:`gap_after_seeks` seeks (then it is taken for a gap in the partition)."""
        now = self.clock()
        offset, when, count = self._seeks.get(where, (due, -float("inf"), 0))
        if offset != due:
            when, count = -float("inf"), 0
        if now - when < self.reseek_after_s:
            return False
        if count >= self.gap_after_seeks:
            log.warning(
                "%s[%s]: offsets from %s never came after %s seeks; taking them for a gap",
                *where,
                due,
                count,
            )
            return True
        log.warning(
            "%s[%s]: offset %s skipped by the consumer; reading again from it%s",
            *where,
            due,
            f" (seek {count + 1})" if count else "",
        )
        self._seeks[where] = (due, now, count + 1)
        self.seeker.seek(where[0], where[1], due)
        return False
