"""The items of a reefer's track (its readings and train moves), their order, and what the
track derives from its recent items and keeps beside them, never serialised: the fold of
the settled state over them item by item (:class:`Folds`) and an index of their readings
(:class:`Index`). See :mod:`streams.domain.reefer`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, TypeAdapter

from lugang.contract import ReeferReading
from lugang.reference import CommodityProfile, ExceptionRules
from streams.domain.coldchain import ContainerState, Decision, step, with_context


@dataclass(frozen=True, slots=True)
class Move:
    """A train move of the container: the context its later readings are judged in.

    ``leaves``: after this move the container is off Lugang's watch (it left through the
    gate, or was discharged at the far end), so its silence is no telemetry gap."""

    event_id: str
    at: AwareDatetime
    commodity: str | None
    corridor: str | None
    train_id: str | None
    leaves: bool = False


Item = ReeferReading | Move
MOVE_JSON = TypeAdapter(Move)


def item_time(item: Item) -> datetime:
    return item.reading_time if isinstance(item, ReeferReading) else item.at


def item_key(item: Item) -> tuple[datetime, int]:
    """The order of the recent items: event time, and at equal times a move before a
    reading (the reading is judged in the move's context; one at the time of a leave
    belongs to the ended trip), whichever was read first."""
    if isinstance(item, ReeferReading):
        return item.reading_time, 1
    return item.at, 0


def carries_context(reading: ReeferReading) -> bool:
    """Whether the reading names its own commodity and corridor (its point needs no move)."""
    return bool(reading.commodity and reading.corridor)


@dataclass(frozen=True, slots=True)
class Judged:
    """A reading with the commodity and corridor it is judged by: its own, else those of
    the container's moves before it (None: unknown)."""

    reading: ReeferReading
    commodity: str | None
    corridor: str | None


def apply_move(state: ContainerState, move: Move) -> tuple[ContainerState, list[Decision]]:
    return with_context(
        state,
        commodity=move.commodity or state.commodity,
        corridor=move.corridor or state.corridor,
        train_id=move.train_id,
        at=move.at,
        leaves=move.leaves,
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One item folded in: the state after it, its decisions, and for a reading lacking
    its own commodity or corridor, the reading with the context in force at its time."""

    state: ContainerState
    decisions: tuple[Decision, ...]
    judged: Judged | None


def fold_steps(
    state: ContainerState,
    items: Sequence[Item],
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> tuple[Step, ...]:
    """``items`` folded into ``state`` one by one."""
    steps: list[Step] = []
    for item in items:
        judged = None
        if isinstance(item, ReeferReading):
            if not carries_context(item):
                commodity = item.commodity or state.commodity
                judged = Judged(item, commodity, item.corridor or state.corridor)
            state, made = step(state, item, rules, profiles)
        else:
            state, made = apply_move(state, item)
        steps.append(Step(state, tuple(made), judged))
    return tuple(steps)


def outcome_of(
    state: ContainerState, steps: Sequence[Step]
) -> tuple[ContainerState, list[Decision], list[Judged]]:
    """The state after ``steps`` (``state``, the one before them, when there are none),
    their decisions, and their judged readings."""
    decisions = [decision for done in steps for decision in done.decisions]
    judged = [done.judged for done in steps if done.judged is not None]
    return (steps[-1].state if steps else state), decisions, judged


@dataclass(frozen=True, slots=True)
class Folds:
    """The settled state ``settled`` folded over ``recent`` item by item: settling the
    first items takes their steps instead of folding them again, and an item put among
    them is folded with those after it only."""

    settled: ContainerState
    recent: tuple[Item, ...]
    steps: tuple[Step, ...]

    def fits(self, settled: ContainerState, recent: tuple[Item, ...]) -> bool:
        """Whether these are the folds of ``settled`` over ``recent`` (the very objects)."""
        return self.settled is settled and self.recent is recent

    def state_before(self, place: int) -> ContainerState:
        """The state before the item at ``place``."""
        return self.steps[place - 1].state if place else self.settled


@dataclass(frozen=True, slots=True)
class Index:
    """The event ids and times of the readings among ``recent`` (the track's tuple it was
    made for): a duplicate found without a scan. A track whose ``recent`` is another tuple
    (decoded, or replaced elsewhere) makes its own when first asked."""

    recent: tuple[Item, ...]
    ids: frozenset[str]
    times: frozenset[datetime]

    @classmethod
    def of(cls, recent: tuple[Item, ...]) -> Index:
        readings = [r for r in recent if isinstance(r, ReeferReading)]
        ids = frozenset(r.event_id for r in readings)
        return cls(recent, ids, frozenset(r.reading_time for r in readings))

    def inserted(self, recent: tuple[Item, ...], item: Item) -> Index:
        """The index of ``recent``: these items and ``item``."""
        if not isinstance(item, ReeferReading):
            return Index(recent, self.ids, self.times)
        return Index(recent, self.ids | {item.event_id}, self.times | {item.reading_time})

    def settled(self, recent: tuple[Item, ...], gone: Sequence[Item]) -> Index:
        """The index of ``recent``: these items less ``gone`` (readings of distinct ids and
        times: a duplicate of either never gets in)."""
        readings = [r for r in gone if isinstance(r, ReeferReading)]
        if not readings:
            return Index(recent, self.ids, self.times)
        ids = self.ids.difference([r.event_id for r in readings])
        return Index(recent, ids, self.times.difference([r.reading_time for r in readings]))
