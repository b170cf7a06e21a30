"""The demo's traffic (producers/showcase.py) shows what the monitor is for in its first
minute: held to it here, through the worker's own agents in process (no broker), so a
change to the simulator, the timetable or the cold-chain rules that loses the picture fails
a test instead of silently emptying the demo.

The first minute is: the history (HISTORY_DAYS days, sent at full speed), then the first
live day at a day a minute, of which about half has gone by a minute after the start.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from entrypoints.page_log import ExceptionLog
from lugang.reference import default_reference
from producers.records import write_recording
from producers.schedule import epoch_ms
from producers.showcase import HISTORY_DAYS, START, live_from, showcase_config
from producers.simulator import simulate
from streams.domain.status import Status, compute_status
from tests.in_process import replay_in_process
from tests.unit.test_agents import Harness

REF = default_reference()
TZ = REF.home.tz
LIVE = live_from(START, HISTORY_DAYS)
LIVE_STARTS = datetime.combine(LIVE, time(), TZ)
FIRST_LIVE_HOURS = timedelta(hours=10)
"""Simulated time of the first live day held to the picture: 25 s at a day a minute."""


@pytest.fixture(scope="module")
def first_minute(tmp_path_factory: pytest.TempPathFactory) -> tuple[Harness, list[dict[str, Any]]]:
    """The worker's agents after the history and the first live hours, and the exceptions
    they paged, as the demo's board reads them from the pages topic."""
    until = epoch_ms(LIVE_STARTS + FIRST_LIVE_HOURS)
    records = [r for r in simulate(showcase_config(START, LIVE), REF) if r.timestamp_ms < until]
    recording = tmp_path_factory.mktemp("showcase") / "first-minute.jsonl"
    with recording.open("wb") as out:
        write_recording(records, out)
    harness, _ = replay_in_process(Path(recording))
    log = ExceptionLog()
    for _, request in harness.pages.sent:
        log.take(request)
    return harness, log.all()


def _status(harness: Harness, day: date) -> Status:
    end_of_day = datetime.combine(day, time(23, 59), TZ)
    return compute_status(harness.book.year(day.year), REF, day, end_of_day)


def _excursions(exceptions: list[dict[str, Any]]) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) of each closed HIGH or LOW excursion."""
    for e in exceptions:
        if e["kind"] in ("HIGH", "LOW") and e["status"] == "CLOSED":
            yield datetime.fromisoformat(e["started_at"]), datetime.fromisoformat(e["ended_at"])


def test_the_history_has_several_days_of_train_runs(
    first_minute: tuple[Harness, list[dict[str, Any]]],
) -> None:
    harness, _ = first_minute
    week = _status(harness, LIVE - timedelta(days=1)).recent_days
    assert [d.day for d in week][-1] == LIVE - timedelta(days=1)
    assert sum(1 for d in week if d.train_runs > 0) >= 4


def test_the_history_ends_on_a_streak_after_missed_days(
    first_minute: tuple[Harness, list[dict[str, Any]]],
) -> None:
    """On the first live day the board shows a 天天班 streak of two days or more, and
    missed days in every group."""
    harness, _ = first_minute
    status = _status(harness, LIVE)
    streaks = {s.group: s.streak_days for s in status.daily_service}
    assert max(streaks.values()) >= 2, streaks
    assert all(s.missed_year_to_date >= 1 for s in status.daily_service)
    assert any(not served for d in status.recent_days for served in d.served.values())


def test_an_excursion_opens_and_closes_in_the_history(
    first_minute: tuple[Harness, list[dict[str, Any]]],
) -> None:
    _, exceptions = first_minute
    assert any(ended < LIVE_STARTS for _, ended in _excursions(exceptions)), exceptions


def test_another_opens_and_closes_in_the_first_live_hours(
    first_minute: tuple[Harness, list[dict[str, Any]]],
) -> None:
    """Seen open on the board for a few seconds, then closed."""
    _, exceptions = first_minute
    live = [
        (start, end)
        for start, end in _excursions(exceptions)
        if start >= LIVE_STARTS and end < LIVE_STARTS + FIRST_LIVE_HOURS
    ]
    assert live, exceptions
