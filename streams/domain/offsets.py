"""The input offsets a container's track has applied, one by one (issue 10: a message read
again after later ones is applied once, whatever later offsets the track has seen).

A high-water mark is not enough: faust can hand an agent offset 11 while it drops 10 (a
message fetched while its flow control is paused at start-up), and a worker killed before
its commit guard notices leaves its successor to read 10 again, which a high-water mark of
11 would call applied, and its reading point was lost (three SIGKILLs lost 2 points in 3,650).

So a track keeps, per input topic, every offset it applied at or above a floor, and the
floor is the partition's committed offset when the track was last written: Kafka hands out
nothing below the committed offset again (the commit guard never commits past a message no
agent processed), so the offsets under it need no keeping and the list stays short (the
container's messages since the last commit).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Applied:
    """Offsets of one input topic applied by a track: every one below ``below``, and each
    of ``offsets`` (ascending, none below ``below``)."""

    below: int = 0
    offsets: tuple[int, ...] = ()

    def __contains__(self, offset: int) -> bool:
        if offset < self.below:
            return True
        offsets = self.offsets
        if not offsets or offset > offsets[-1]:  # the usual: a message not seen before
            return False
        place = bisect_left(offsets, offset)  # ascending: no scan of the run's offsets
        return offsets[place] == offset

    def add(self, offset: int, committed: int | None) -> Applied:
        """These offsets and ``offset``, forgetting those under ``committed`` (the
        partition's committed offset, None: none known)."""
        below = self.below if committed is None else max(self.below, committed)
        offsets = self.offsets
        if below == self.below and offset >= below and (not offsets or offset > offsets[-1]):
            # the usual case: the partition's next offset, the committed one unchanged
            return Applied(below, (*offsets, offset))
        kept = {o for o in self.offsets if o >= below}
        if offset >= below:
            kept.add(offset)
        return Applied(below, tuple(sorted(kept)))

    def extend(self, offsets: Sequence[int], committed: int | None) -> Applied:
        """:meth:`add` of each of ``offsets`` in turn, in one step for the usual case (a
        run of the partition's next offsets, ascending, the committed one unchanged)."""
        below = self.below if committed is None else max(self.below, committed)
        if (
            offsets
            and below == self.below
            and offsets[0] >= below
            and (not self.offsets or offsets[0] > self.offsets[-1])
            and all(a < b for a, b in pairwise(offsets))
        ):
            return Applied(below, (*self.offsets, *offsets))
        applied = self
        for offset in offsets:
            applied = applied.add(offset, committed)
        return applied

    def to_json(self) -> dict[str, object]:
        return {"below": self.below, "offsets": list(self.offsets)}

    @classmethod
    def from_json(cls, raw: object) -> Applied:
        """Read what :meth:`to_json` wrote, or the high-water mark that tracks written before
        kept (an int: every offset up to it applied)."""
        if isinstance(raw, int):
            return cls(below=raw + 1)
        if not isinstance(raw, dict):
            raise ValueError(f"applied offsets: expected an object, got {raw!r}")
        return cls(int(raw["below"]), tuple(int(o) for o in raw["offsets"]))
