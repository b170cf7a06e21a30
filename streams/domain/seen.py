"""The reading times a container's track has seen, kept compactly so that a reading seen
before is recognised as a duplicate however late it comes again (domain §5: replaying a
recording twice changes nothing), while a genuinely new reading older than the allowed
lateness is ``late``.

Units report at a fixed interval, so the times are kept as runs of evenly spaced times
(first time, step, count, in epoch seconds): a unit reporting every 5 minutes for a week is
one run per stretch between silences. An irregular time starts a run of its own. At most
:data:`MAX_RUNS` runs are kept, the oldest leaving first, which bounds a track's size even
for a unit with no regular interval (its oldest times then read as new, and are late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

MAX_RUNS: Final = 512

Run = tuple[int, int, int]
"""(first time, step, count) in epoch seconds; a single time has step 0 and count 1."""


def second_of(moment: datetime) -> int:
    """The whole second (POSIX) of an aware ``moment``: what :class:`SeenTimes` keeps (a
    reading taken once asks for it once, not for each look-up)."""
    return int(moment.timestamp())


def _contains(run: Run, t: int) -> bool:
    first, step, count = run
    if step == 0:
        return t == first
    return first <= t <= first + step * (count - 1) and (t - first) % step == 0


@dataclass(frozen=True, slots=True)
class SeenTimes:
    """Reading times seen, as runs of evenly spaced times (the one taking the newest
    times last)."""

    runs: tuple[Run, ...] = ()

    def __contains__(self, moment: datetime) -> bool:
        return self.has_second(second_of(moment))

    def has_second(self, t: int) -> bool:
        """Whether the time ``t`` (:func:`second_of` a moment) was seen."""
        runs = self.runs
        if not runs:
            return False
        first, step, count = runs[-1]
        if t > first + step * (count - 1):
            return False  # after the latest end (the last run's): the usual new reading
        return any(_contains(run, t) for run in reversed(runs))

    def add(self, moment: datetime) -> SeenTimes:
        """These times and ``moment`` (whole seconds). The run with the latest end stays
        last, so the usual next time (one interval on) extends it."""
        return self.add_second(second_of(moment))

    def add_second(self, t: int) -> SeenTimes:
        """:meth:`add` of the time ``t`` (:func:`second_of` a moment)."""
        runs = self.runs
        if not runs:
            return SeenTimes(((t, 0, 1),))
        first, step, count = runs[-1]
        end = first + step * (count - 1)
        if t > end:
            if count == 1:
                return SeenTimes((*runs[:-1], (first, t - first, 2)))
            if t == end + step:
                return SeenTimes((*runs[:-1], (first, step, count + 1)))
            return self._with((*runs, (t, 0, 1)))
        if self.has_second(t):
            return self
        return self._with((*sorted((*runs[:-1], (t, 0, 1))), runs[-1]))

    def _with(self, runs: tuple[Run, ...]) -> SeenTimes:
        return SeenTimes(runs[-MAX_RUNS:])

    def to_list(self) -> list[list[int]]:
        return [list(run) for run in self.runs]

    @classmethod
    def from_list(cls, runs: list[list[int]]) -> SeenTimes:
        return cls(tuple((first, step, count) for first, step, count in runs))
