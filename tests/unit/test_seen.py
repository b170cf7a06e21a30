"""The reading times a track has taken: compact runs, exact membership (issue 9 #7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from streams.domain.seen import MAX_RUNS, SeenTimes

T0 = datetime(2026, 3, 15, 0, 0, 37, tzinfo=UTC)


def taken(times: list[datetime]) -> SeenTimes:
    seen = SeenTimes()
    for moment in times:
        seen = seen.add(moment)
    return seen


def test_a_week_every_five_minutes_is_one_run() -> None:
    week = [T0 + timedelta(minutes=5 * n) for n in range(7 * 288)]
    seen = taken(week)
    assert seen.runs == ((int(T0.timestamp()), 300, 7 * 288),)
    assert all(moment in seen for moment in week[::97])
    assert T0 + timedelta(minutes=2) not in seen
    assert T0 - timedelta(minutes=5) not in seen


def test_silences_and_out_of_order_times_start_runs_of_their_own() -> None:
    times = [T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=50), T0 + timedelta(minutes=3)]
    seen = taken(times)
    assert all(moment in seen for moment in times)
    assert T0 + timedelta(minutes=10) not in seen
    assert taken([*times, *times]) == seen  # taking a time again changes nothing


def test_the_runs_kept_are_bounded() -> None:
    irregular = [T0 + timedelta(seconds=n * n) for n in range(1, 3 * MAX_RUNS)]
    seen = taken(irregular)
    assert len(seen.runs) <= MAX_RUNS
    assert irregular[-1] in seen
    assert SeenTimes.from_list(seen.to_list()) == seen


@given(st.lists(st.integers(0, 20_000), max_size=60))
def test_membership_is_exact(offsets: list[int]) -> None:
    """What was taken is in, and nothing else is, whatever the order."""
    times = [T0 + timedelta(seconds=s) for s in offsets]
    seen = taken(times)
    for s in range(0, 20_001, 7):
        assert (T0 + timedelta(seconds=s) in seen) == (s in set(offsets))
