"""One container's cold-chain track: readings and train moves put in event-time order
within the allowed lateness before the pure state machine (:mod:`streams.domain.coldchain`)
judges them, exactly once.

Readings (``reefer`` topic) and moves (``containers`` topic) come from two topics, and
Kafka orders neither against the other: the consumer may read one topic far ahead of the
other (after a crash, catching up, faust read hours of ``reefer`` before the
``containers`` messages of the same hours). So the track orders them itself. It keeps a
*settled* state — everything before the *horizon* folded in — the *recent* readings and
moves after it, in event-time order (at equal times a move before a reading), and the
*current* state, the settled one with the recent items folded in. An item newer than every
recent one is folded into the current state (one step: the usual case); one that arrives
out of order is put in its place and the recent items are folded again from the settled
state, so the result equals that of an in-order stream.

The horizon is the newest reading minus the allowed lateness, but never past ``known``:
the event time up to which the moves of the container's partition are known (handed in by
the caller, see :class:`streams.state.MovesKnown`; None: every move written so far has
been read). A reading is held unsettled until the moves that may precede it have been
read, so a move read long after the readings it precedes (catch-up) still gives them its
commodity, corridor and train; :func:`settle` settles what a later ``known`` allows. Only
readings (and ``known``) advance the horizon: a move that runs ahead of the readings waits
in its place until they pass it. A move older than the horizon and than every recent item
is applied to the settled state at once and the recent items folded again; a reading
older than the newest reading minus the lateness is *late* (``known`` changes nothing
there: it holds readings, it never turns one away).

Decisions come from the settled state only: what is before the horizon is final (a later
reading older than the newest one minus the lateness is late), so a reading that comes
out of order within the lateness, or a move read after readings it precedes, can never
move a start, split one exception into two, or retract a page: every delivery order gives
the decisions, and the ids, of the in-order stream. The price is that a page comes up to
the allowed lateness (10 min of event time by default) after the reading that shows it,
and, while the ``containers`` partition is behind, when its moves have caught up. A unit
that falls silent (it left watch, or it is in a gap) has its last readings, and the moves
after them, settled by :func:`flush` (up to ``known``) once the live timer finds it silent
for the telemetry-gap time: exceptions then close at the time the container left, and a
reading that still comes up to then is late. Each decision is emitted once: the track
remembers which exception ids it has opened and closed.

Each call returns an :class:`Outcome`: the track, its decisions, and the readings whose
InfluxDB point is due, each with the commodity and corridor it is judged by. A reading
carrying both its own gets its point when it is applied; one lacking either gets it when it
settles, with the context in force at its time, so no point depends on how the two topics
were interleaved either.

Crash safety: the track also keeps the offsets of the messages it applied from each input
topic (:mod:`streams.domain.offsets`); a message among them (redelivered after a restart,
because the offset commit had not happened yet) is skipped, while the changelog restored
the track itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

import orjson
from pydantic import AwareDatetime

from lugang.contract import STORED, ReeferReading
from lugang.reference import CommodityProfile, ExceptionRules
from streams.domain.coldchain import Close, ContainerState, Decision, Open, check_silence
from streams.domain.items import (
    MOVE_JSON,
    Folds,
    Index,
    Item,
    Judged,
    Move,
    apply_move,
    carries_context,
    fold_steps,
    item_key,
    item_time,
    outcome_of,
)
from streams.domain.offsets import Applied
from streams.domain.seen import SeenTimes, second_of

Verdict = Literal["applied", "duplicate", "late"]

_REMEMBERED_CLOSES = 16
"""How many closed exception ids a track remembers, to emit each Close once."""
_INDEXED_FROM = 16
"""How many recent items make a duplicate worth looking up in an index (fewer: a scan,
cheaper than keeping the index, is the usual case of a track whose moves are known)."""


@dataclass(frozen=True, slots=True)
class ReeferTrack:
    """The cold-chain memory of one container, serialised to a faust table as JSON."""

    settled: ContainerState
    current: ContainerState
    """``settled`` with every recent item folded in."""
    recent: tuple[Item, ...] = ()
    opened_ids: frozenset[str] = frozenset()
    closed_ids: tuple[str, ...] = ()
    offsets: Mapping[str, Applied] = field(default_factory=dict)
    final_until: AwareDatetime | None = None
    """Readings up to this time are final (settled by :func:`flush`): a later one is late."""
    taken: SeenTimes = field(default_factory=SeenTimes)
    """Times of the readings taken (applied or late), to know a duplicate however late."""
    index: Index | None = field(default=None, compare=False, repr=False)
    """What :func:`_index_of` gives, if made: not part of the track's value."""
    folds: Folds | None = field(default=None, compare=False, repr=False)
    """What :func:`folds_of` gives, if made: not part of the track's value."""

    @classmethod
    def new(cls, equipment_reference: str) -> ReeferTrack:
        state = ContainerState(equipment_reference=equipment_reference)
        return cls(state, state)

    def to_json(self) -> bytes:
        def item(entry: Item) -> object:
            if isinstance(entry, ReeferReading):
                return {"reading": orjson.Fragment(entry.model_dump_json().encode())}
            return {"move": orjson.Fragment(MOVE_JSON.dump_json(entry))}

        return orjson.dumps(
            {
                "settled": orjson.Fragment(self.settled.to_json()),
                "current": orjson.Fragment(self.current.to_json()),
                "recent": [item(entry) for entry in self.recent],
                "opened": sorted(self.opened_ids),
                "closed": list(self.closed_ids),
                "offsets": {topic: applied.to_json() for topic, applied in self.offsets.items()},
                "final": None if self.final_until is None else self.final_until.isoformat(),
                "taken": self.taken.to_list(),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> ReeferTrack:
        raw = orjson.loads(data)

        def item(entry: dict[str, object]) -> Item:
            if "reading" in entry:
                return ReeferReading.model_validate_json(
                    orjson.dumps(entry["reading"]), context=STORED
                )
            return MOVE_JSON.validate_json(orjson.dumps(entry["move"]))

        return cls(
            settled=ContainerState.from_json(orjson.dumps(raw["settled"])),
            current=ContainerState.from_json(orjson.dumps(raw["current"])),
            recent=tuple(item(entry) for entry in raw["recent"]),
            opened_ids=frozenset(raw["opened"]),
            closed_ids=tuple(raw["closed"]),
            offsets={topic: Applied.from_json(a) for topic, a in raw["offsets"].items()},
            final_until=None if raw.get("final") is None else datetime.fromisoformat(raw["final"]),
            taken=SeenTimes.from_list(raw.get("taken", [])),
        )

    def seen(self, topic: str, offset: int) -> bool:
        """Whether the message at ``offset`` of ``topic`` was applied already."""
        applied = self.offsets.get(topic)
        return applied is not None and offset in applied

    def at_offset(self, topic: str, offset: int, committed: int | None = None) -> ReeferTrack:
        """The track having applied ``offset`` of ``topic`` (``committed``: the partition's
        committed offset, under which no offset needs keeping; None: none known)."""
        applied = self.offsets.get(topic, Applied()).add(offset, committed)
        offsets = {**self.offsets, topic: applied}
        # Not ``dataclasses.replace``: once per message, and the constructor costs a third.
        return ReeferTrack(
            self.settled,
            self.current,
            self.recent,
            self.opened_ids,
            self.closed_ids,
            offsets,
            self.final_until,
            self.taken,
            self.index,
            self.folds,
        )

    def at_offsets(
        self, topic: str, offsets: Sequence[int], committed: int | None = None
    ) -> ReeferTrack:
        """:meth:`at_offset` of each of ``offsets`` in turn, the track built once."""
        applied = self.offsets.get(topic, Applied()).extend(offsets, committed)
        return replace(self, offsets={**self.offsets, topic: applied})

    def closing(self, exception_id: str) -> ReeferTrack:
        """The track remembering ``exception_id`` as closed elsewhere (a live gap), so it
        never emits it again."""
        closed = (*self.closed_ids, exception_id)[-_REMEMBERED_CLOSES:]
        opened = self.opened_ids - {exception_id}
        return replace(self, opened_ids=opened, closed_ids=closed)

    @property
    def train_id(self) -> str | None:
        """The train the container last moved on."""
        return self.current.train_id

    @property
    def boarded_at(self) -> datetime | None:
        """When the container moved onto :attr:`train_id`."""
        return self.current.boarded_at

    @property
    def watched(self) -> bool:
        """Whether the container is on watch and has reported on this trip (so that its
        silence can be a gap)."""
        return self.current.watching and self.current.reported

    @property
    def newest_reading(self) -> datetime | None:
        return self.current.last_reading_at


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one call did to a track."""

    track: ReeferTrack
    decisions: list[Decision] = field(default_factory=list)
    """The settled decisions not emitted before."""
    readings: tuple[Judged, ...] = ()
    """The readings whose point is due now: one carrying its own commodity and corridor
    when :func:`observe` applies it, one lacking either when it settles (then with the
    context in force at its time). Each applied reading is in one outcome only."""
    verdict: Verdict = "applied"
    """What :func:`observe` made of its reading (``applied`` for the other calls)."""


def folds_of(
    track: ReeferTrack, rules: ExceptionRules, profiles: Mapping[str, CommodityProfile]
) -> Folds:
    """The folds of the track's settled state over its recent items, made (and kept with
    the track) if the track has none that fit them."""
    folds = track.folds
    if folds is None or not folds.fits(track.settled, track.recent):
        steps = fold_steps(track.settled, track.recent, rules, profiles)
        folds = Folds(track.settled, track.recent, steps)
        object.__setattr__(track, "folds", folds)
    return folds


def observe(
    track: ReeferTrack,
    reading: ReeferReading,
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    *,
    known: datetime | None = None,
) -> Outcome:
    """Take one reading: ``duplicate`` if a recent reading has its event id or its time, or
    if the track took a reading at its time before, however long ago; ``late`` if it is
    older than the newest reading minus ``lateness`` or not after the container last left
    watch (or a :func:`flush` made final); else ``applied`` with the decisions it brings
    (``known``: the event time up to which the container's moves are known, None: all)."""
    at, event_id, recent = reading.reading_time, reading.event_id, track.recent
    if len(recent) < _INDEXED_FROM:
        if any(
            isinstance(r, ReeferReading) and (r.reading_time == at or r.event_id == event_id)
            for r in recent
        ):
            return Outcome(track, verdict="duplicate")
    elif at in (index := _index_of(track)).times or event_id in index.ids:
        return Outcome(track, verdict="duplicate")
    second = second_of(at)
    if track.taken.has_second(second):
        return Outcome(track, verdict="duplicate")
    taken = track.taken.add_second(second)
    if late_by(track, at, lateness) is not None:
        return Outcome(replace(track, taken=taken), verdict="late")
    outcome = _insert(track, reading, lateness, rules, profiles, known, taken)
    if carries_context(reading):
        own = Judged(reading, reading.commodity, reading.corridor)
        return Outcome(outcome.track, outcome.decisions, (*outcome.readings, own))
    return outcome


def late_by(track: ReeferTrack, at: datetime, lateness: timedelta) -> datetime | None:
    """The time a reading at ``at`` comes too late after (the newest reading minus the
    lateness, or the container's last leave), or None if it is in time."""
    return late_after(track.newest_reading, track.settled.left_at, track.final_until, at, lateness)


def late_after(
    newest: datetime | None,
    left: datetime | None,
    final: datetime | None,
    at: datetime,
    lateness: timedelta,
) -> datetime | None:
    """:func:`late_by` of a track's newest reading, last leave and ``final_until``."""
    if left is not None and at <= left:
        return left
    if final is not None and at <= final:
        return final
    if newest is not None and at < newest - lateness:
        return newest - lateness
    return None


def move(
    track: ReeferTrack,
    event: Move,
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    *,
    known: datetime | None = None,
) -> Outcome:
    """Take one train move of the container (a duplicate event id changes nothing). One
    read after readings it precedes is put in its place among the recent items, and they
    are judged again in its context; only one older than every recent item and than the
    horizon goes straight to the settled state."""
    if any(isinstance(m, Move) and m.event_id == event.event_id for m in track.recent):
        return Outcome(track)
    horizon = _horizon(track, lateness, known)
    first = track.recent[0] if track.recent else None
    before_all = first is None or item_key(event) < item_key(first)
    if horizon is not None and event.at < horizon and before_all:
        settled, decisions = apply_move(track.settled, event)
        folds = Folds(settled, track.recent, fold_steps(settled, track.recent, rules, profiles))
        current, _, _ = outcome_of(settled, folds.steps)
        updated = replace(track, settled=settled, current=current, folds=folds)
        return emit_once(updated, decisions)
    return _insert(track, event, lateness, rules, profiles, known)


def _horizon(track: ReeferTrack, lateness: timedelta, known: datetime | None) -> datetime | None:
    """The time before which the track's items are settled: the newest reading minus the
    lateness, capped by ``known``; None (nothing settles) before the first reading."""
    return horizon_at(track.newest_reading, lateness, known)


def horizon_at(
    newest: datetime | None, lateness: timedelta, known: datetime | None
) -> datetime | None:
    if newest is None:
        return None
    horizon = newest - lateness
    return horizon if known is None else min(horizon, known)


def place_of(recent: Sequence[Item], key: tuple[datetime, int]) -> int:
    """Where an item of order ``key`` goes among the (ordered) recent items: after those
    not after it (the end, usually)."""
    if not recent or item_key(recent[-1]) <= key:
        return len(recent)
    return bisect.bisect(recent, key, key=item_key)


def items_before(recent: Sequence[Item], horizon: datetime) -> int:
    """How many of the (ordered) recent items lie before ``horizon``."""
    return bisect.bisect_left(recent, horizon, key=item_time)


def _index_of(track: ReeferTrack) -> Index:
    """The index of the track's recent items, made (and kept with the track: it is derived
    from the immutable ``recent`` alone) if the track has none of them."""
    index = _kept(track)
    if index is None:
        index = Index.of(track.recent)
        object.__setattr__(track, "index", index)
    return index


def _kept(track: ReeferTrack) -> Index | None:
    """The index of the track's recent items, if one was made (and so is kept up)."""
    index = track.index
    return index if index is not None and index.recent is track.recent else None


def _insert(
    track: ReeferTrack,
    item: Item,
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    known: datetime | None,
    taken: SeenTimes | None = None,
) -> Outcome:
    """Put ``item`` in its place and fold it in (with the recent items after it, if it came
    out of order), then settle what lies before the horizon (``taken``: the reading times
    the track has taken, when the item adds one)."""
    recent, folds = track.recent, folds_of(track, rules, profiles)
    place = place_of(recent, item_key(item))
    recent = (*recent[:place], item, *recent[place:])
    after = fold_steps(folds.state_before(place), recent[place:], rules, profiles)
    folds = Folds(track.settled, recent, (*folds.steps[:place], *after))
    index = None if (kept := _kept(track)) is None else kept.inserted(recent, item)
    current = folds.steps[-1].state
    horizon = horizon_at(current.last_reading_at, lateness, known)
    keep = 0 if horizon is None else items_before(folds.recent, horizon)
    folds, index, decisions, judged = _settling(folds, index, keep)
    updated = ReeferTrack(  # not ``dataclasses.replace``, as in ReeferTrack.at_offset
        folds.settled,
        current,
        folds.recent,
        track.opened_ids,
        track.closed_ids,
        track.offsets,
        track.final_until,
        track.taken if taken is None else taken,
        index,
        folds,
    )
    return emit_once(updated, decisions, judged)


def _settling(
    folds: Folds, index: Index | None, keep: int
) -> tuple[Folds, Index | None, list[Decision], list[Judged]]:
    """The folds (and index) once the first ``keep`` recent items are settled, and their
    decisions and judged readings."""
    if keep == 0:
        return folds, index, [], []
    gone, recent = folds.recent[:keep], folds.recent[keep:]
    settled, decisions, judged = outcome_of(folds.settled, folds.steps[:keep])
    index = None if index is None else index.settled(recent, gone)
    return Folds(settled, recent, folds.steps[keep:]), index, decisions, judged


def _settle(
    track: ReeferTrack,
    horizon: datetime | None,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> Outcome:
    """Fold the recent items before ``horizon`` into the settled state, keeping the
    decisions not emitted before (the same track when none lies before it)."""
    keep = 0 if horizon is None else items_before(track.recent, horizon)
    if keep == 0:
        return Outcome(track)
    folds = folds_of(track, rules, profiles)
    folds, index, decisions, judged = _settling(folds, _kept(track), keep)
    updated = replace(track, settled=folds.settled, recent=folds.recent, index=index, folds=folds)
    return emit_once(updated, decisions, judged)


def settle(
    track: ReeferTrack,
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    *,
    known: datetime | None = None,
) -> Outcome:
    """Settle what ``known`` now allows, without a new item: the live timer's call once the
    container's ``containers`` partition has read further (or caught up: None), so
    readings held for its moves are decided even if no reading comes. The same track when
    nothing is to settle."""
    return _settle(track, _horizon(track, lateness, known), rules, profiles)


def flush(
    track: ReeferTrack,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    *,
    known: datetime | None = None,
) -> Outcome:
    """Settle every recent item before ``known`` (all of them when None) now: the
    container's partition has gone the allowed lateness past its newest reading, and no
    reading came. What its last readings show is decided, and a reading up to the newest
    one settled that still comes is late."""
    keep = len(track.recent) if known is None else items_before(track.recent, known)
    if keep == 0:
        return Outcome(track)
    folds = folds_of(track, rules, profiles)
    folds, index, decisions, judged = _settling(folds, _kept(track), keep)
    newest, final = folds.settled.last_reading_at, track.final_until
    final = final if newest is None else max(newest, final or newest)
    current = track.current if folds.recent else folds.settled
    updated = replace(
        track,
        settled=folds.settled,
        current=current,
        recent=folds.recent,
        final_until=final,
        index=index,
        folds=folds,
    )
    return emit_once(updated, decisions, judged)


def emit_once(
    track: ReeferTrack, decisions: list[Decision], judged: Sequence[Judged] = ()
) -> Outcome:
    """The outcome of ``decisions`` not emitted before (in order), with the track
    remembering the ids they open and close."""
    if not decisions:
        return Outcome(track, decisions, tuple(judged))
    opened, closed = set(track.opened_ids), list(track.closed_ids)
    fresh: list[Decision] = []
    for decision in decisions:
        exception_id = decision.exception.exception_id
        if isinstance(decision, Open) and exception_id not in opened | set(closed):
            opened.add(exception_id)
            fresh.append(decision)
        elif isinstance(decision, Close) and exception_id not in closed:
            opened.discard(exception_id)
            closed = [*closed, exception_id][-_REMEMBERED_CLOSES:]
            fresh.append(decision)
    updated = replace(track, opened_ids=frozenset(opened), closed_ids=tuple(closed))
    return Outcome(updated, fresh, tuple(judged))


def arrived(
    track: ReeferTrack,
    train_id: str,
    at: datetime,
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
    *,
    known: datetime | None = None,
) -> Outcome:
    """The container's outbound train arrived at the far end at ``at``: if the container
    rode it (moved onto it before ``at``) and is still on watch, it leaves watch then."""
    state = track.current
    if not state.watching or state.train_id != train_id:
        return Outcome(track)
    if state.boarded_at is None or state.boarded_at > at:
        return Outcome(track)
    event = Move(f"arrival:{train_id}:{at.isoformat()}", at, None, None, None, leaves=True)
    return move(track, event, lateness, rules, profiles, known=known)


def silence(
    track: ReeferTrack,
    now: datetime,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> list[Decision]:
    """The live timer's check at ``now``: the TELEMETRY_GAP of a silent container.

    Not kept in the track (a timer has no event to write a table key with): the check
    finds the same gap, with the same id, every time until a reading comes, and that
    reading's own fold opens and closes it."""
    return check_silence(track.current, now, rules)[1]
