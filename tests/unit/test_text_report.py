"""``lugang report``'s text (dashboards/text_report.py) for each evaluation period: the
period and its report due date, its figures against the plan with tonnage, and 天天班
missed days apart from the days without data; and ``--period`` reaching it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dashboards.report import data as report_data
from dashboards.text_report import render_text
from entrypoints.cli import build_parser, main
from lugang.reference import default_reference
from lugang.settings import Settings
from streams.agents.memory import MemoryTable
from streams.domain.dwell import Visit
from streams.domain.periods import PERIOD_NAMES, PeriodName
from streams.state import LiveGaps
from streams.web import status_body
from tests.fakes import Topic
from tests.unit.test_agents import Harness, depa, run
from tests.unit.test_html_report import status_of

REF = default_reference()


def _lines(period: PeriodName, status: dict[str, Any] | None = None) -> list[str]:
    return render_text(status or status_of(), REF, period).splitlines()


@pytest.mark.parametrize(
    ("period", "heading", "trains", "tonnage"),
    [
        (
            "month",
            "month to date 2026-03 (MTD): 2026-03-01 – 2026-03-15, 15 days; report due 2026-04-15",
            "trains MTD      6 runs of 500 (pro-rata 20.6)",
            "tonnage MTD     0.43 万吨 (10⁴ t) of 1,000 (pro-rata 41.10)",
        ),
        (
            "quarter",
            "quarter to date 2026-Q1 (QTD): 2026-01-01 – 2026-03-15, 74 days; "
            "report due 2026-04-15",
            "trains QTD      7 runs of 500 (pro-rata 101.4)",
            "tonnage QTD     0.52 万吨 (10⁴ t) of 1,000 (pro-rata 202.74)",
        ),
        (
            "half",
            "half-year to date 2026-H1 (HTD): 2026-01-01 – 2026-03-15, 74 days; "
            "report due 2026-07-15",
            "trains HTD      7 runs of 500 (pro-rata 101.4)",
            "tonnage HTD     0.52 万吨 (10⁴ t) of 1,000 (pro-rata 202.74)",
        ),
        (
            "year",
            "year to date 2026 (YTD): 2026-01-01 – 2026-03-15, 74 days; report due 2027-01-15",
            "trains YTD      7 runs of 500 (pro-rata 101.4)",
            "tonnage YTD     0.52 万吨 (10⁴ t) of 1,000 (pro-rata 202.74)",
        ),
    ],
)
def test_the_period_asked_for_is_against_the_plan_with_its_due_date(
    period: PeriodName, heading: str, trains: str, tonnage: str
) -> None:
    lines = _lines(period)
    assert heading in lines
    (found,) = [line for line in lines if line.startswith(trains.split("  ", 1)[0] + " ")]
    assert found.startswith(trains) and found.endswith("(behind)")
    assert any(line.startswith(tonnage) for line in lines), lines


def test_every_period_to_date_is_listed() -> None:
    names = [line.split("  ")[0].strip() for line in _lines("year")[2:12:2]]
    assert names == [
        "today",
        "month to date",
        "quarter to date",
        "half-year to date",
        "year to date",
    ]


@pytest.mark.parametrize(
    ("period", "rail_sea"),
    [
        ("month", "MTD 2 missed, 12 unknown; YTD 2 missed, 66 unknown"),
        ("quarter", "MTD 2 missed, 12 unknown; QTD 2 missed, 66 unknown; YTD 2 missed, 66 unknown"),
        ("half", "MTD 2 missed, 12 unknown; HTD 2 missed, 66 unknown; YTD 2 missed, 66 unknown"),
        ("year", "MTD 2 missed, 12 unknown; YTD 2 missed, 66 unknown"),
    ],
)
def test_daily_service_tells_missed_days_from_days_without_data(
    period: PeriodName, rail_sea: str
) -> None:
    """Data on 5 January, 2, 14 and 15 March: counted from the 5th, the days between
    without data are unknown."""
    lines = _lines(period)
    at = next(n for n, line in enumerate(lines) if line.startswith("  RAIL_SEA      today "))
    assert lines[at].endswith("counted from 2026-01-05")
    assert lines[at + 1].strip() == rail_sea


@pytest.mark.parametrize(
    ("period", "corridor", "rows"),
    [
        (  # 5 Jan: 80 + 10 empty out; 14 Mar: 40 empty in; 15 Mar: 150 out
            "year",
            "HHW-QZH",
            [
                "today        0 in      150 out  balance   0.0%  out−in    +150  "
                "empty in      – out   0.0%",
                "MTD         40 in      150 out  balance  26.7%  out−in    +110  "
                "empty in 100.0% out   0.0%",
                "YTD         40 in      240 out  balance  16.7%  out−in    +200  "
                "empty in 100.0% out   4.2%",
            ],
        ),
        (  # the collecting train from Wuhan brings boxes in: inbound, as on any corridor
            "quarter",
            "WUH-HHW",
            [
                "today        0 in        0 out  balance      –  out−in      +0  "
                "empty in      – out      –",
                "MTD        100 in        0 out  balance   0.0%  out−in    -100  "
                "empty in   0.0% out      –",
                "QTD        100 in        0 out  balance   0.0%  out−in    -100  "
                "empty in   0.0% out      –",
                "YTD        100 in        0 out  balance   0.0%  out−in    -100  "
                "empty in   0.0% out      –",
            ],
        ),
    ],
)
def test_the_two_way_balance_of_each_corridor_today_to_the_period_and_the_year(
    period: PeriodName, corridor: str, rows: list[str]
) -> None:
    lines = _lines(period)
    at = next(n for n, line in enumerate(lines) if line.startswith(f"  {corridor} "))
    assert [line[12:] for line in lines[at : at + len(rows)]] == rows
    idle = "  no container move counted by corridor this year: HHW-ZNG, HHW-CAN, HHW-CSX, KHN-HHW"
    assert idle in lines


def test_the_balance_names_the_teu_counted_before_it_was_kept_by_corridor() -> None:
    status = status_of()
    status["year_to_date"]["balance"]["teu_not_by_corridor"] = 90.0
    assert (
        "  90 TEU this year were counted before TEU was kept by corridor: in no corridor above"
        in _lines("year", status)
    )


def test_a_year_without_targets_says_so_per_figure() -> None:
    status = status_of(date(2031, 5, 10))  # and no data in 2031: no day counted
    lines = _lines("quarter", status)
    assert "trains QTD      no target for this year" in lines
    assert "tonnage QTD     no target for this year" in lines
    assert any("no day counted yet" in line for line in lines)


def test_report_period_accepts_the_four_periods() -> None:
    parser = build_parser(Settings())
    for period in PERIOD_NAMES:
        assert parser.parse_args(["report", "--period", period]).period == period
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--period", "week"])


def test_lugang_report_prints_the_period_asked_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[date] = []

    def read_status(url: str, day: date) -> dict[str, Any]:
        asked.append(day)
        return status_of(day)

    monkeypatch.setattr(report_data, "read_status", read_status)
    assert main(["report", "--date", "2026-03-15", "--period", "half"]) == 0
    out = capsys.readouterr().out
    assert asked == [date(2026, 3, 15)]
    assert "half-year to date 2026-H1 (HTD)" in out and "report due 2026-07-15" in out
    assert out.startswith("Lugang report for 2026-03-15 ")


def test_the_year_end_projection_is_reported_once_the_year_has_weeks_of_figures() -> None:
    """``/status`` carries the projection (streams.domain.projection), the report prints
    each measure's projected total, interval and chance of the target."""
    h = Harness()
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    for n in range(40):  # a run a day from 1 January
        at = (start + timedelta(days=n)).isoformat()
        run(h.trains.handle([Topic("trains").event(f"T{n}", depa(f"d{n}", f"T{n}", at))]))
    run(h.count_days())
    early = status_body({"date": "2026-01-05"}, REF, h.book, MemoryTable(), LiveGaps())
    assert early["projection"] is None
    assert "year-end projection: not yet" in render_text(early, REF)
    body = status_body({"date": "2026-02-09"}, REF, h.book, MemoryTable(), LiveGaps())
    runs = body["projection"]["train_runs"]
    assert runs["actual"] == 40 and runs["low"] <= runs["projected"] <= runs["high"]
    assert 300 < runs["projected"] < 430  # a run a day, all year
    report = render_text(body, REF)
    assert "year-end projection (80 % interval; chance of reaching the target)" in report
    assert any(line.startswith("  train runs      3") for line in report.splitlines())


def test_the_containers_dwelling_longest_are_listed_from_status() -> None:
    """``dwell_longest`` of ``/status`` (streams.domain.dwell): each open visit, longest
    first, with its start in the port's time and its hours at the status's clock."""
    dwell = MemoryTable()
    for visit in [
        Visit(
            equipment_reference="MSKU9070323",
            event_id="e1",
            started_at=datetime(2026, 3, 14, 2, tzinfo=UTC),
            direction="INBOUND",
            teu_category="RAIL_SEA",
            laden=True,
        ),
        Visit(
            equipment_reference="TGHU1234567",
            event_id="e2",
            started_at=datetime(2026, 3, 12, 0, 30, tzinfo=UTC),
            direction="OUTBOUND",
            teu_category=None,  # not loaded yet
            laden=False,
        ),
    ]:
        dwell.data[visit.equipment_reference.encode()] = visit.model_dump_json().encode()
    query = {"date": "2026-03-15", "now": "2026-03-15T12:00:00+00:00"}
    body = status_body(query, REF, Harness().book, MemoryTable(), LiveGaps(), dwell=dwell)
    lines = render_text(body, REF).splitlines()
    at = lines.index("containers dwelling longest 箱子在港时间 (2 longest open visits)")
    assert lines[at + 1 : at + 3] == [
        "  TGHU1234567  OUTBOUND not loaded empty  since 2026-03-12 08:30  83.5 h",
        "  MSKU9070323  INBOUND  RAIL_SEA   laden  since 2026-03-14 10:00  34.0 h",
    ]


def test_the_dwell_block_says_when_no_container_is_at_the_port() -> None:
    body = status_body({"date": "2026-03-15"}, REF, Harness().book, MemoryTable(), LiveGaps())
    assert "containers dwelling longest: no container at the port" in render_text(body, REF)
    assert "containers dwelling" not in render_text(status_of(), REF)  # no dwell_longest
