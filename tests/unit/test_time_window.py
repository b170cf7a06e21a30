"""The window of plausible event times (streams/agents/intake.py, ``TimeWindow``) judges
each time as a check against the clock at that moment would, whatever zones the times
come in and whatever it keeps between checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.agents.intake import TimeWindow

EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
SHARED_ZONE = timezone(timedelta(hours=8))


@settings(deadline=None, max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 20),  # the clock's advance, in hours, before the check
            st.integers(-48, 24 * 12),  # the event's time, in hours after EARLIEST
            st.sampled_from(["shared", "own", "utc", "west"]),
        ),
        max_size=40,
    )
)
def test_each_time_is_judged_as_against_the_clock_then(
    checks: list[tuple[int, int, str]],
) -> None:
    now = [EARLIEST + timedelta(days=5)]
    window = TimeWindow(EARLIEST, AHEAD, clock=lambda: now[0])
    zones = {
        "shared": SHARED_ZONE,
        "own": timezone(timedelta(hours=8)),  # the same offset, another object
        "utc": UTC,
        "west": timezone(timedelta(hours=-5)),
    }
    for advance, hours, zone in checks:
        now[0] += timedelta(hours=advance)
        at = (EARLIEST + timedelta(hours=hours)).astimezone(zones[zone])
        plausible = EARLIEST <= at <= now[0] + AHEAD
        assert (window.problem(at) is None) == plausible, (at, now[0])


def test_a_window_open_to_the_end_of_the_calendar_still_judges() -> None:
    window = TimeWindow(EARLIEST, timedelta.max, clock=lambda: datetime.max.replace(tzinfo=UTC))
    at = datetime(2026, 3, 1, tzinfo=SHARED_ZONE)
    assert window.problem(at) is None
    assert window.problem(at) is None
    assert window.problem(datetime(2025, 12, 31, 23, tzinfo=UTC)) is not None
