"""The shortcuts a track takes on its hot path give what the plain way gives: the applied
offsets' fast path for the partition's next offset, the index of the recent readings that
finds a duplicate without a scan, and the folds of the settled state over the recent items
(a reading put before a move read ahead folds itself and the move, not every recent item
again), both kept beside the track and never serialised."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from lugang.contract import ReeferReading
from lugang.reference import default_reference
from streams.domain import coldchain
from streams.domain.items import Move
from streams.domain.offsets import Applied
from streams.domain.reefer import Outcome, ReeferTrack, flush, move, observe, settle


def _added_plainly(applied: Applied, offset: int, committed: int | None) -> Applied:
    """What :meth:`Applied.add` gave before its fast path."""
    below = applied.below if committed is None else max(applied.below, committed)
    kept = {o for o in applied.offsets if o >= below}
    if offset >= below:
        kept.add(offset)
    return Applied(below, tuple(sorted(kept)))


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 60))), max_size=40)
)
def test_applied_offsets_add_as_they_did_before_the_fast_path(
    steps: list[tuple[int, int | None]],
) -> None:
    applied = plain = Applied()
    for offset, committed in steps:
        applied, plain = applied.add(offset, committed), _added_plainly(plain, offset, committed)
        assert applied == plain


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.integers(0, 60), max_size=6),
    st.lists(st.integers(0, 60), max_size=12),
    st.one_of(st.none(), st.integers(0, 60)),
    st.integers(0, 30),
)
def test_applied_offsets_extend_as_they_add_one_by_one(
    before: list[int], offsets: list[int], committed: int | None, below: int
) -> None:
    applied = Applied(below, tuple(sorted({o for o in before if o >= below})))
    one_by_one = applied
    for offset in offsets:
        one_by_one = one_by_one.add(offset, committed)
    assert applied.extend(offsets, committed) == one_by_one
    ascending = sorted(set(offsets))
    start = max([below, *applied.offsets]) + 1
    run = [start + o for o in ascending]  # the usual case: the next offsets, ascending
    one_by_one = applied
    for offset in run:
        one_by_one = one_by_one.add(offset, None)
    assert applied.extend(run, None) == one_by_one


@settings(deadline=None, max_examples=200)
@given(st.integers(0, 30), st.sets(st.integers(0, 80), max_size=30), st.integers(-5, 90))
def test_applied_offsets_know_each_offset_as_a_scan_would(
    below: int, kept: set[int], offset: int
) -> None:
    applied = Applied(below, tuple(sorted(o for o in kept if o >= below)))
    assert (offset in applied) == (offset < below or offset in applied.offsets)


def test_the_next_offset_under_an_unchanged_commit_is_appended() -> None:
    applied = Applied(5, (5, 7))
    assert applied.add(8, 5) == Applied(5, (5, 7, 8))
    assert applied.add(8, None) == Applied(5, (5, 7, 8))
    assert applied.add(6, 5) == Applied(5, (5, 6, 7))  # out of order: the plain way
    assert applied.add(7, 5) == applied
    assert applied.add(4, None) == applied  # under the commit: nothing to keep


# --- The index of a track's recent readings (duplicates found without a scan). ---

REF = default_reference()
LATENESS = timedelta(minutes=10)
BOX = "MSKU9070323"
START = datetime(2026, 3, 15, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def _reading(event_id: str, minute: int, supply_c: float) -> ReeferReading:
    return ReeferReading(
        event_id=event_id,
        equipment_reference=BOX,
        reading_time=START + timedelta(minutes=minute),
        setpoint_c=5.0,
        supply_air_c=supply_c,
        power_on=True,
        commodity=None if minute % 3 else "pharma",
        corridor="HHW-QZH",
    )


Op = tuple[str, int, int]
"""(what, a minute, a number): ``observe`` a reading (its id and minute), ``move`` (its
id and minute), ``settle`` or ``flush`` with ``known`` at a minute, ``round trip``."""


@st.composite
def ops(draw: st.DrawFn) -> list[Op]:
    """Readings mostly in order, some out of order, late, or again (by id or by time),
    moves anywhere among them, settles, flushes and JSON round trips."""
    result: list[Op] = []
    minute = 0
    for _ in range(draw(st.integers(1, 80))):
        what = draw(st.sampled_from(["observe"] * 6 + ["move", "settle", "flush", "round trip"]))
        minute += draw(st.sampled_from([0, 1, 5, 5, 5, 9]))
        back = draw(st.sampled_from([0, 0, 0, 3, 8, 30]))
        number = draw(st.integers(0, 2 * len(result) + 1))
        result.append((what, minute - back, number))
    return result


def _apply(track: ReeferTrack, op: Op) -> Outcome:
    what, minute, number = op
    rules, profiles = REF.exception_rules, REF.commodities
    at = START + timedelta(minutes=minute)
    known = None if number % 4 == 0 else at
    if what == "observe":
        reading = _reading(f"r{number}", minute, [5.0, 9.0, 1.0][number % 3])
        return observe(track, reading, LATENESS, rules, profiles, known=known)
    if what == "move":
        moved = Move(f"m{number}", at, "pharma", "HHW-QZH", "X9001", leaves=number % 7 == 6)
        return move(track, moved, LATENESS, rules, profiles, known=known)
    if what == "settle":
        return settle(track, LATENESS, rules, profiles, known=known)
    if what == "flush":
        return flush(track, rules, profiles, known=known)
    return Outcome(ReeferTrack.from_json(track.to_json()))


def _index_describes(track: ReeferTrack) -> None:
    readings = [r for r in track.recent if isinstance(r, ReeferReading)]
    index = track.index
    if index is not None and index.recent is track.recent:
        assert index.ids == {r.event_id for r in readings}
        assert index.times == {r.reading_time for r in readings}


@settings(deadline=None, max_examples=300)
@given(ops())
def test_a_track_kept_in_memory_does_what_one_decoded_before_every_call_does(
    case: list[Op],
) -> None:
    """The index made along the way and the one a decoded track makes agree, through
    inserts in and out of order, settles, flushes and JSON round trips."""
    for indexed_from in (1, 16):  # an index from the first item on, and as the track has it
        with patch("streams.domain.reefer._INDEXED_FROM", indexed_from):
            _compare_kept_and_decoded(case)


def _compare_kept_and_decoded(case: list[Op]) -> None:
    kept = decoded = ReeferTrack.new(BOX)
    for op in case:
        mine = _apply(kept, op)
        theirs = _apply(ReeferTrack.from_json(decoded.to_json()), op)
        assert mine.verdict == theirs.verdict, op
        assert mine.decisions == theirs.decisions, op
        assert mine.readings == theirs.readings, op
        assert mine.track == theirs.track, op
        assert mine.track.to_json() == theirs.track.to_json(), op
        kept, decoded = mine.track, theirs.track
        _index_describes(kept)
        _index_describes(decoded)


def test_a_recent_reading_is_a_duplicate_by_its_id_or_its_time() -> None:
    rules, profiles = REF.exception_rules, REF.commodities
    track = ReeferTrack.new(BOX)
    for n in range(20):  # held: no move known yet
        track = observe(
            track, _reading(f"r{n}", 5 * n, 5.0), LATENESS, rules, profiles, known=START
        ).track
    assert len(track.recent) == 20 and track.index is not None  # made once 16 were held
    again = [_reading("r1", 7, 5.0), _reading("other", 10, 5.0), _reading("r20", 100, 5.0)]
    verdicts = [observe(track, r, LATENESS, rules, profiles, known=START).verdict for r in again]
    assert verdicts == ["duplicate", "duplicate", "applied"]
    decoded = ReeferTrack.from_json(track.to_json())
    assert decoded.index is None and decoded == track  # not serialised, not compared
    assert [observe(decoded, r, LATENESS, rules, profiles, known=START).verdict for r in again] == (
        verdicts
    )


def test_a_reading_before_a_move_read_ahead_is_one_step_and_settling_none() -> None:
    """Moves consumed ahead of their readings put each reading before them: it is folded
    with the items after it only, and what settles takes the steps already made."""
    rules, profiles = REF.exception_rules, REF.commodities
    ahead = Move("m", START + timedelta(hours=4), "pharma", "HHW-QZH", "X9001")
    track = move(ReeferTrack.new(BOX), ahead, LATENESS, rules, profiles).track
    calls = 0
    real_step = coldchain.step

    def counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_step(*args)

    with patch("streams.domain.items.step", counted):
        for n in range(30):
            reading = _reading(f"r{n}", 5 * n, 5.0)
            track = observe(track, reading, LATENESS, rules, profiles).track
    assert calls == 30
    assert [type(item).__name__ for item in track.recent][-1] == "Move"
    plain = ReeferTrack.from_json(track.to_json())
    assert plain == track and plain.folds is None
