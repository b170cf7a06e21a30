"""One container's cold-chain track: readings reordered within the allowed lateness before
the pure state machine (:mod:`streams.coldchain`) judges them, exactly once.

The track keeps a *settled* state — every reading older than the newest minus the
allowed lateness folded in — and the *recent* readings after it, in event-time order. A
reading is folded from the settled state together with the recent ones, so one that
arrives out of order (within the lateness) is judged in its place, and the result equals
that of an in-order stream. Decisions come out as soon as a reading shows them; since the
lateness (10 min by default) is shorter than every rule's threshold, a late reading can
still move a start that has not fired yet, but not one that has. Each decision is emitted
once: the track remembers which exception ids it has opened and closed.

Crash safety: the track also keeps the offset of the last message applied from each
input topic; a message at or below it (redelivered after a restart, because the offset
commit had not happened yet) is skipped, while the changelog restored the track itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

import orjson

from lugang.contract import ReeferReading
from lugang.reference import CommodityProfile, ExceptionRules
from streams.coldchain import (
    Close,
    ContainerState,
    Decision,
    Open,
    check_silence,
    step,
    with_context,
)

Verdict = Literal["applied", "duplicate", "late"]

_REMEMBERED_CLOSES = 16
"""How many closed exception ids a track remembers, to emit each Close once."""


@dataclass(frozen=True, slots=True)
class ReeferTrack:
    """The cold-chain memory of one container, serialised to a faust table as JSON."""

    settled: ContainerState
    recent: tuple[ReeferReading, ...] = ()
    opened_ids: frozenset[str] = frozenset()
    closed_ids: tuple[str, ...] = ()
    offsets: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def new(cls, equipment_reference: str) -> ReeferTrack:
        return cls(ContainerState(equipment_reference=equipment_reference))

    def current(
        self, rules: ExceptionRules, profiles: Mapping[str, CommodityProfile]
    ) -> ContainerState:
        """The state with the recent readings folded in."""
        return _fold(self.settled, self.recent, rules, profiles)[0]

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "settled": orjson.Fragment(self.settled.to_json()),
                "recent": [orjson.Fragment(r.model_dump_json().encode()) for r in self.recent],
                "opened": sorted(self.opened_ids),
                "closed": list(self.closed_ids),
                "offsets": dict(self.offsets),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> ReeferTrack:
        raw = orjson.loads(data)
        return cls(
            settled=ContainerState.from_json(orjson.dumps(raw["settled"])),
            recent=tuple(ReeferReading.model_validate_json(orjson.dumps(r)) for r in raw["recent"]),
            opened_ids=frozenset(raw["opened"]),
            closed_ids=tuple(raw["closed"]),
            offsets=raw["offsets"],
        )

    def seen(self, topic: str, offset: int) -> bool:
        """Whether the message at ``offset`` of ``topic`` was applied already."""
        return offset <= self.offsets.get(topic, -1)

    def at_offset(self, topic: str, offset: int) -> ReeferTrack:
        return replace(self, offsets={**self.offsets, topic: offset})


def _fold(
    state: ContainerState,
    readings: tuple[ReeferReading, ...],
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> tuple[ContainerState, list[Decision]]:
    decisions: list[Decision] = []
    for reading in readings:
        state, made = step(state, reading, rules, profiles)
        decisions += made
    return state, decisions


def observe(
    track: ReeferTrack,
    reading: ReeferReading,
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> tuple[ReeferTrack, list[Decision], Verdict]:
    """Take one reading: ``duplicate`` if a recent reading has its event id or its time,
    ``late`` if it is older than the newest minus ``lateness`` (everything settled is), else
    ``applied`` with the decisions it brings."""
    at = reading.reading_time
    times = [r.reading_time for r in track.recent]
    if at in times or any(r.event_id == reading.event_id for r in track.recent):
        return track, [], "duplicate"
    newest = times[-1] if times else track.settled.last_reading_at
    if newest is not None and at < newest - lateness:
        return track, [], "late"
    index = bisect.bisect(times, at)
    recent = (*track.recent[:index], reading, *track.recent[index:])
    track, decisions = _settle(track, recent, lateness, rules, profiles)
    return track, decisions, "applied"


def _settle(
    track: ReeferTrack,
    recent: tuple[ReeferReading, ...],
    lateness: timedelta,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> tuple[ReeferTrack, list[Decision]]:
    """Fold all readings for the decisions; move those older than the newest minus the
    lateness into the settled state; keep each decision that was not emitted before."""
    horizon = recent[-1].reading_time - lateness
    keep = next((i for i, r in enumerate(recent) if r.reading_time >= horizon), len(recent))
    settled, _ = _fold(track.settled, recent[:keep], rules, profiles)
    _, decisions = _fold(track.settled, recent, rules, profiles)
    return _emit_once(replace(track, settled=settled, recent=recent[keep:]), decisions)


def _emit_once(track: ReeferTrack, decisions: list[Decision]) -> tuple[ReeferTrack, list[Decision]]:
    opened, closed = set(track.opened_ids), list(track.closed_ids)
    fresh: list[Decision] = []
    for decision in decisions:
        exception_id = decision.exception.exception_id
        if isinstance(decision, Open) and exception_id not in opened and exception_id not in closed:
            opened.add(exception_id)
            fresh.append(decision)
        elif isinstance(decision, Close) and exception_id not in closed:
            opened.discard(exception_id)
            closed = [*closed, exception_id][-_REMEMBERED_CLOSES:]
            fresh.append(decision)
    return replace(track, opened_ids=frozenset(opened), closed_ids=tuple(closed)), fresh


def move(
    track: ReeferTrack,
    *,
    commodity: str | None,
    corridor: str | None,
    train_id: str | None,
) -> tuple[ReeferTrack, list[Decision]]:
    """A train move of the container: its context (commodity, corridor, trip) changes.

    Applied to the settled state, so the recent readings are judged with the new context.
    """
    settled, decisions = with_context(
        track.settled, commodity=commodity, corridor=corridor, train_id=train_id
    )
    return _emit_once(replace(track, settled=settled), decisions)


def silence(
    track: ReeferTrack,
    now: datetime,
    rules: ExceptionRules,
    profiles: Mapping[str, CommodityProfile],
) -> tuple[ReeferTrack, list[Decision]]:
    """The live timer's check at ``now``: a TELEMETRY_GAP opens if the container is silent.

    Not kept in the track: the next reading finds the same gap (same id) and closes it."""
    current = track.current(rules, profiles)
    _, decisions = check_silence(current, now, rules)
    return _emit_once(track, decisions)
