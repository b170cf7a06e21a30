"""The minute's round (issue 11, on call): today's 天天班 written for the wall screen
(``daily_service_live``) with the warning flag from the warning hour on, and paged once, by
the worker that keeps the figures; and the wall screen's tile reading it. Today's year-end
projection written too (``year_projection``), as ``/status`` computes it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from dashboards import build, overview
from dashboards.queries import dashboard_queries, measurement, names_read
from lugang.reference import default_reference
from lugang.vocabulary import DAILY_SERVICE_LABELS, daily_service_state
from streams.domain.counts import DayTotals
from streams.domain.projection import project_year
from streams.schema import points
from streams.timers import MinuteRound
from tests.fakes import Topic
from tests.unit.test_agents import Harness, depa, run
from tests.unit.test_projection import year

REF = default_reference()
TZ = REF.home.tz
DAY = datetime(2026, 3, 16, tzinfo=TZ)
BEFORE = DAY.replace(hour=17, minute=59)
WARNING = DAY.replace(hour=REF.daily_service.warning_at.hour)
GROUPS = [g for g, spec in REF.service_groups.items() if spec.daily_service]


class Round:
    """A minute's round on the in-process agents, at a wall clock the test sets."""

    def __init__(self, keeps_figures: bool = True) -> None:
        self.h = Harness()
        self.keeps = keeps_figures
        self.round = MinuteRound(
            self.h.book,
            self.h.movements.pager,
            self.h.metrics,
            REF,
            lambda: self.keeps,
            clock=lambda: self.h.wall[0],
        )

    def at(self, moment: datetime) -> dict[str, dict[str, Any]]:
        """Run the round at ``moment``; the live points it wrote, by service group."""
        self.h.wall[0] = moment
        self.h.metrics.samples.clear()
        run(self.round())
        live = self.h.metrics.measurement(points.DAILY_SERVICE_LIVE)
        assert all(s.time == points.local_midnight(moment.date(), TZ) for s in live)
        return {s.tags["service_group"]: dict(s.fields) for s in live}

    def depart(self, event_id: str, corridor: str, at: datetime) -> None:
        topic = Topic("trains")
        run(
            self.h.trains.handle(
                [topic.event("X1", depa(event_id, "X1", at.isoformat(), corridor))]
            )
        )
        run(self.h.count_days())

    def put_days(self, days: dict[date, DayTotals]) -> None:
        """Days in the book, as the days agent would have kept them."""
        for day, totals in days.items():
            self.h.days.data[day.isoformat().encode()] = totals.model_dump_json().encode()

    def projected(self, moment: datetime) -> list[points.Sample]:
        """Run the round at ``moment``; the year_projection points it wrote."""
        self.at(moment)
        return self.h.metrics.measurement(points.YEAR_PROJECTION)

    def at_risk(self) -> dict[str, bool]:
        """Each DailyServiceAtRisk page's group: firing at the round's clock."""
        return {
            a.labels["service_group"]: a.ends_at is None or a.ends_at > self.h.wall[0]
            for a in self.h.alerts.fired
            if a.labels["alertname"] == "DailyServiceAtRisk"
        }


def test_before_the_warning_hour_every_group_is_written_not_served_and_not_warned() -> None:
    r = Round()
    assert r.at(BEFORE) == {g: {"served": 0, "warning": 0} for g in GROUPS}
    assert r.at_risk() == dict.fromkeys(GROUPS, False)


def test_from_the_warning_hour_an_unserved_group_is_flagged_and_paged() -> None:
    r = Round()
    r.depart("d1", "HHW-QZH", DAY.replace(hour=9))  # RAIL_SEA served
    assert r.at(WARNING) == {
        "RAIL_SEA": {"served": 1, "warning": 0},
        "CROSS_BORDER": {"served": 0, "warning": 1},
    }
    assert r.at_risk() == {"RAIL_SEA": False, "CROSS_BORDER": True}


def test_a_late_departure_clears_the_flag_and_resolves_the_page() -> None:
    r = Round()
    assert r.at(WARNING)["CROSS_BORDER"] == {"served": 0, "warning": 1}
    r.depart("d2", "HHW-VTE", DAY.replace(hour=19))
    assert r.at(WARNING + timedelta(hours=1, minutes=1))["CROSS_BORDER"] == {
        "served": 1,
        "warning": 0,
    }
    assert r.at_risk()["CROSS_BORDER"] is False


def test_each_minute_rewrites_the_same_point() -> None:
    r = Round()
    first, second = r.at(WARNING), r.at(WARNING + timedelta(minutes=1))
    assert first == second
    written = r.h.metrics.measurement(points.DAILY_SERVICE_LIVE)
    assert {(tuple(s.tags.items()), s.time) for s in written} == {
        ((("service_group", g),), points.local_midnight(DAY.date(), TZ)) for g in GROUPS
    }


def test_only_the_worker_that_keeps_the_figures_does_the_round() -> None:
    r = Round(keeps_figures=False)
    assert r.at(WARNING) == {}
    assert r.h.alerts.fired == []


def seasonal_runs(day: date) -> int:
    """Two runs a day in the first quarter, one after it: a season last year shows."""
    return 2 if day.month <= 3 else 1


def test_the_round_writes_today_s_year_end_projection_with_last_year_s_season() -> None:
    """One point per measure at today's local midnight, as project_year gives it from this
    year's days, the year's target and last year's days (its season)."""
    r = Round()
    this_year = {d: t for d, t in year(2026, seasonal_runs).items() if d < DAY.date()}
    r.put_days({**year(2025, seasonal_runs), **this_year})
    written = r.projected(WARNING)
    expected = project_year(this_year, DAY.date(), REF.targets[2026], year(2025, seasonal_runs))
    assert expected is not None
    assert written == points.projection_samples(expected, REF)
    runs = next(s for s in written if s.tags == {"measure": "train_runs"})
    assert runs.time == points.local_midnight(DAY.date(), TZ)
    assert runs.fields["actual"] == sum(map(seasonal_runs, this_year))
    assert runs.fields["target"] == REF.targets[2026].trains
    assert runs.fields["seasonal"] == 1
    assert 0 <= float(runs.fields["probability"]) <= 1


def test_each_minute_rewrites_the_day_s_projection_points() -> None:
    r = Round()
    r.put_days({d: t for d, t in year(2026, seasonal_runs).items() if d < DAY.date()})
    first, second = r.projected(WARNING), r.projected(WARNING + timedelta(minutes=1))
    assert first == second
    assert {s.tags["measure"] for s in first} == set(points.PROJECTION_MEASURES)
    assert {s.time for s in first} == {points.local_midnight(DAY.date(), TZ)}


def test_no_projection_before_anything_of_the_year_is_counted_or_off_the_keeper() -> None:
    assert Round().projected(WARNING) == []
    r = Round(keeps_figures=False)
    r.put_days(year(2026, seasonal_runs))
    assert r.projected(WARNING) == []


# -- the wall screen's tile --------------------------------------------------------------

BOARD = json.loads(build.rendered(REF)[f"{build.JSON_DIR}/{overview.UID}.json"])
(TILE,) = [p for p in BOARD["panels"] if p["title"] == "天天班 今日 Daily service today"]


def tile_value(fields: dict[str, Any]) -> int:
    """What the tile's query gives for a live point: ``last(served) - last(warning)``."""
    (query,) = [q for q in dashboard_queries(BOARD) if q.title == TILE["title"]]
    assert measurement(query.text) == points.DAILY_SERVICE_LIVE
    assert names_read(query.text) == {"served", "warning", "service_group"}
    assert 'last("served") - last("warning")' in query.text
    return int(fields["served"]) - int(fields["warning"])


def shown(value: int) -> tuple[str, str, str]:
    """The tile's text, mapped colour and threshold colour for ``value``."""
    defaults = TILE["fieldConfig"]["defaults"]
    (mapping,) = defaults["mappings"]
    result = mapping["options"][str(value)]
    steps = defaults["thresholds"]["steps"]
    colour = [s["color"] for s in steps if s["value"] is None or s["value"] <= value][-1]
    return result["text"], result["color"], colour


def test_the_tile_turns_red_when_the_warning_is_up_and_orange_before() -> None:
    r = Round()
    r.depart("d1", "HHW-QZH", DAY.replace(hour=9))
    cases = {
        (BEFORE, "CROSS_BORDER"): ("not_yet", "orange"),
        (WARNING, "CROSS_BORDER"): ("not_served", "red"),
        (WARNING, "RAIL_SEA"): ("served", "green"),
    }
    for (moment, group), (state, colour) in cases.items():
        fields = r.at(moment)[group]
        assert daily_service_state(bool(fields["served"]), bool(fields["warning"])) == state
        assert shown(tile_value(fields)) == (str(DAILY_SERVICE_LABELS[state]), colour, colour)
    assert TILE["fieldConfig"]["defaults"]["noValue"]
