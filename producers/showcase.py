"""The demo's traffic: the plan's 2026, with a seed and fault rates chosen so that a
newcomer's first minute shows everything the monitor does.

``lugang demo`` sends :data:`HISTORY_DAYS` days from 1 January at full speed, then the
rest of the year at its ``--speed``. With :data:`SEED` and the packaged reference (the
unit test ``tests/unit/test_showcase.py`` holds it to this, so the choice cannot rot):

* the history has train runs on several days, 天天班 days missed in both service groups
  (at the plan's 500 trains a year the timetable sends a rail-sea train on about one day
  in three, a cross-border one on about one in twelve) and a rail-sea streak of several
  days up to its last day;
* a LOW or HIGH excursion opens and closes within the history, and another within the
  first hours of the first live day (about a quarter of a minute at a day a minute), so
  one is seen open on the board and then closed.

:data:`EXCURSION_RATE` is four times the simulator's default, so that excursions come
every few days rather than every few weeks; the other fault rates are the defaults.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from producers.simulator import SimulationConfig

START: Final = date(2026, 1, 1)
"""The demo's first simulated day."""
HISTORY_DAYS: Final = 7
"""Days sent at full speed before the demo goes live: a week of streaks and missed days."""
A_DAY_A_MINUTE: Final = 1440.0
"""The demo's speed once live (simulated seconds per second)."""
SEED: Final = 175
EXCURSION_RATE: Final = 0.2


def showcase_config(start: date = START, end: date | None = None) -> SimulationConfig:
    """The demo's simulation from ``start`` to ``end`` (default: the end of its year)."""
    return SimulationConfig(
        start=start,
        end=end or date(start.year, 12, 31),
        seed=SEED,
        excursion_rate=EXCURSION_RATE,
    )


def live_from(start: date, history_days: int) -> date:
    """The first day the demo sends at its chosen speed (after ``history_days`` of history)."""
    return start + timedelta(days=history_days)
