"""A container's readings of one batch taken at once (:func:`observe_run`): what
:func:`~streams.domain.reefer.observe` does reading by reading, without building a new track,
folds, index and outcome for each (the movements agent's hot path: a batch has a few
readings of each reefer, usually read after moves that come later in event time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lugang.contract import ReeferReading
from lugang.reference import CommodityProfile, ExceptionRules
from streams.domain.coldchain import Decision
from streams.domain.items import Folds, Judged, carries_context, fold_steps, item_key, outcome_of
from streams.domain.reefer import (
    ReeferTrack,
    Verdict,
    emit_once,
    folds_of,
    horizon_at,
    items_before,
    late_after,
    place_of,
)
from streams.domain.seen import second_of


@dataclass(frozen=True, slots=True)
class Taken:
    """What :func:`observe_run` made of one of its readings: the verdict, the readings
    whose point is due with it (as :attr:`~streams.domain.reefer.Outcome.readings`), and
    for a late one the container's last leave when it was judged (None: none)."""

    verdict: Verdict
    readings: tuple[Judged, ...] = ()
    left_at: datetime | None = None


class _Run:
    """A track's parts while :func:`observe_run` takes readings one after another in
    place, instead of building a new track (and folds, index, outcome) for each."""

    __slots__ = (
        "current",
        "ids",
        "pending",
        "recent",
        "settled",
        "steps",
        "taken",
        "times",
        "track",
    )

    def __init__(
        self, track: ReeferTrack, rules: ExceptionRules, profiles: Mapping[str, CommodityProfile]
    ) -> None:
        folds = folds_of(track, rules, profiles)
        self.track = track  # what the parts not kept here come from
        self.settled, self.current, self.taken = folds.settled, track.current, track.taken
        self.recent, self.steps = list(folds.recent), list(folds.steps)
        self.pending: list[Decision] = []  # settled, not yet through emit_once
        readings = [r for r in self.recent if isinstance(r, ReeferReading)]
        self.ids = {r.event_id for r in readings}
        self.times = {r.reading_time for r in readings}

    def build(self) -> tuple[ReeferTrack, list[Decision]]:
        """The track these parts make, and the settled decisions not emitted before."""
        recent = tuple(self.recent)
        folds = Folds(self.settled, recent, tuple(self.steps))
        track = self.track
        built = ReeferTrack(
            self.settled,
            self.current,
            recent,
            track.opened_ids,
            track.closed_ids,
            track.offsets,
            track.final_until,
            self.taken,
            None,
            folds,
        )
        emitted = emit_once(built, self.pending)
        return emitted.track, emitted.decisions

    def take(
        self,
        reading: ReeferReading,
        lateness: timedelta,
        rules: ExceptionRules,
        profiles: Mapping[str, CommodityProfile],
        known: datetime | None,
    ) -> Taken:
        """:func:`observe` on these parts: a duplicate or late reading changes nothing but
        the times taken; another is put in its place (usually the end) and folded in with
        the items after it, then what lies before the horizon settles."""
        at = reading.reading_time
        if at in self.times or reading.event_id in self.ids:
            return Taken("duplicate")
        second = second_of(at)
        if self.taken.has_second(second):
            return Taken("duplicate")
        self.taken = self.taken.add_second(second)
        left = self.settled.left_at
        final = self.track.final_until
        if late_after(self.current.last_reading_at, left, final, at, lateness) is not None:
            return Taken("late", left_at=left)
        recent, steps = self.recent, self.steps
        # usually before moves read ahead of it; at the end if none is
        place = place_of(recent, item_key(reading))
        recent.insert(place, reading)
        before = steps[place - 1].state if place else self.settled
        steps[place:] = fold_steps(before, recent[place:], rules, profiles)
        self.ids.add(reading.event_id)
        self.times.add(at)
        self.current = steps[-1].state
        horizon = horizon_at(self.current.last_reading_at, lateness, known)
        keep = 0 if horizon is None else items_before(recent, horizon)
        judged: list[Judged] = []
        if keep:
            self.settled, decisions, judged = outcome_of(self.settled, steps[:keep])
            self.pending += decisions
            for gone in recent[:keep]:
                if isinstance(gone, ReeferReading):
                    self.ids.discard(gone.event_id)
                    self.times.discard(gone.reading_time)
            del recent[:keep], steps[:keep]
        if carries_context(reading):
            judged.append(Judged(reading, reading.commodity, reading.corridor))
        return Taken("applied", tuple(judged))


def observe_run(
    track: ReeferTrack,
    readings: Sequence[ReeferReading],
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    *,
    known: datetime | None = None,
) -> tuple[ReeferTrack, list[Decision], list[Taken]]:
    """:func:`~streams.domain.reefer.observe` of each of ``readings`` in turn: the track
    after them all, the decisions in order, and what was made of each reading; the same as
    calling ``observe`` reading by reading (the tests compare the two) at a fraction of the
    cost: the track's parts change in place and the track is built once, at the end."""
    run = _Run(track, rules, profiles)
    taken = [run.take(reading, lateness, rules, profiles, known) for reading in readings]
    after, decisions = run.build()
    return after, decisions, taken
