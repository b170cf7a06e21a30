"""The HTML report page (dashboards/report/), rendered from fixed figures."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from dashboards import influx_reader
from dashboards.influx_reader import Series
from dashboards.report.data import daily_series, period_bounds, read_influx
from dashboards.report.page import render_html
from lugang.reference import default_reference
from streams.domain.counts import DayTotals
from streams.domain.status import compute_status
from tests.charts import charts, linked_urls, marks

AS_OF = date(2026, 3, 15)
GENERATED = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)

DAYS = {
    date(2026, 1, 5): DayTotals(
        day=date(2026, 1, 5),
        runs={"HHW-QZH/OUTBOUND": 1},
        outbound_runs_by_group={"RAIL_SEA": 1},
        teu={"RAIL_SEA/OUTBOUND/LADEN": 80.0, "RAIL_SEA/OUTBOUND/EMPTY": 10.0},
        corridor_teu={"HHW-QZH/OUTBOUND/LADEN": 80.0, "HHW-QZH/OUTBOUND/EMPTY": 10.0},
        reefer_teu={"OUTBOUND": 2.0},
        gross_weight_kg=900_000,
    ),
    date(2026, 3, 2): DayTotals(
        day=date(2026, 3, 2),
        runs={"HHW-VTE/OUTBOUND": 1, "WUH-HHW/INBOUND": 1},
        outbound_runs_by_group={"CROSS_BORDER": 1},
        teu={"LAOS/OUTBOUND/LADEN": 60.0, "OTHER/INBOUND/LADEN": 100.0},
        corridor_teu={"HHW-VTE/OUTBOUND/LADEN": 60.0, "WUH-HHW/INBOUND/LADEN": 100.0},
        reefer_teu={"OUTBOUND": 4.0},
        gross_weight_kg=1_500_000,
    ),
    date(2026, 3, 14): DayTotals(
        day=date(2026, 3, 14),
        runs={"HHW-HAN/OUTBOUND": 1, "HHW-QZH/INBOUND": 1},
        outbound_runs_by_group={"CROSS_BORDER": 1},
        teu={"VIETNAM/OUTBOUND/LADEN": 50.0, "RAIL_SEA/INBOUND/EMPTY": 40.0},
        corridor_teu={"HHW-HAN/OUTBOUND/LADEN": 50.0, "HHW-QZH/INBOUND/EMPTY": 40.0},
        gross_weight_kg=800_000,
    ),
    date(2026, 3, 15): DayTotals(
        day=date(2026, 3, 15),
        runs={"HHW-QZH/OUTBOUND": 2},
        outbound_runs_by_group={"RAIL_SEA": 2},
        teu={"RAIL_SEA/OUTBOUND/LADEN": 150.0},
        corridor_teu={"HHW-QZH/OUTBOUND/LADEN": 150.0},
        reefer_teu={"OUTBOUND": 2.0},
        gross_weight_kg=2_000_000,
    ),
}

TRANSIT = [
    {"train_id": "X1", "corridor": "HHW-QZH", "departed_at": "2026-01-05T08:00:00+08:00",
     "hours": 28.5, "benchmark_h": 30.0, "within_benchmark": True},
    {"train_id": "X2", "corridor": "HHW-QZH", "departed_at": "2026-03-15T08:00:00+08:00",
     "hours": 33.0, "benchmark_h": 30.0, "within_benchmark": False},
    {"train_id": "X3", "corridor": "HHW-VTE", "departed_at": "2026-03-02T09:00:00+08:00",
     "hours": 70.0, "benchmark_h": 72.0, "within_benchmark": True},
]  # fmt: skip

CLOSED = {
    "exception_id": "MSKU9070323:HIGH:2026-03-02T01:30:00+00:00", "kind": "HIGH",
    "equipment_reference": "MSKU9070323", "commodity": "durian", "corridor": "HHW-VTE",
    "started_at": "2026-03-02T01:30:00+00:00", "status": "CLOSED", "duration_s": 2700.0,
    "peak_deviation_c": 3.2,
}  # fmt: skip
OPEN = {
    "exception_id": "CAIU2000022:POWER_OFF:2026-03-15T02:00:00+00:00", "kind": "POWER_OFF",
    "equipment_reference": "CAIU2000022", "commodity": "longan", "corridor": "HHW-QZH",
    "started_at": "2026-03-15T02:00:00+00:00", "ended_at": None, "status": "OPEN",
    "duration_s": None, "peak_deviation_c": None,
}  # fmt: skip


def status_of(as_of: date = AS_OF) -> dict[str, Any]:
    """/status as a worker serves it for these days."""
    status = compute_status(DAYS, default_reference(), as_of, datetime(2026, 3, 15, 12, tzinfo=UTC))
    body: dict[str, Any] = json.loads(status.model_dump_json())
    body["open_exceptions"] = [OPEN]
    return body


def page(period: str = "year", **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "daily": daily_series(DAYS),
        "transit": TRANSIT,
        "exceptions": [CLOSED, OPEN],
        "period": period,
        "generated_at": GENERATED,
        "source": "worker 127.0.0.1:6066 /status",
        **overrides,
    }
    return render_html(status_of(), reference=default_reference(), **arguments)


def values(elements: list[dict[str, str]], cls: str = "bar") -> list[float]:
    return [float(e["data-value"]) for e in marks(elements, cls)]


def test_the_page_is_self_contained() -> None:
    text = page()
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    assert linked_urls(text) == []
    for outside in ("<script", "<link", "<img", "<iframe", "url(", "@import", "@font-face"):
        assert outside not in text


def test_year_to_date_charts_have_one_mark_per_figure() -> None:
    found = charts(page())
    assert set(found) == {
        "trains", "teu-categories", "reefer", "tonnage", "runs-by-corridor", "balance",
        "daily-service", "daily-runs", "daily-teu", "cumulative", "transit",
    }  # fmt: skip
    assert values(found["trains"]) == [7]
    assert values(found["trains"], "marker") == [101.37]  # 500 × 74 ÷ 365
    # Every category of the plan, in the reference's order, VIETNAM's 50 included.
    assert values(found["teu-categories"]) == [280, 60, 50, 100]
    assert values(found["reefer"]) == [8]
    # Freight against 1000 x 10^4 t a year, in tonnes.
    assert values(found["tonnage"], "marker") == [pytest.approx(10_000_000 * 74 / 365, rel=1e-5)]
    corridors = {e["data-value"] for e in marks(found["runs-by-corridor"], "bar")}
    assert len(marks(found["runs-by-corridor"], "bar")) == 8  # every corridor, zeros too
    assert sum(values(found["runs-by-corridor"])) == 7 and corridors == {"0", "1", "4"}
    assert len(marks(found["daily-service"], "day")) == 2 * 74  # two groups, 74 days
    served = [e["data-day"] for e in marks(found["daily-service"], "served")]
    assert served == ["2026-01-05", "2026-03-15", "2026-03-02", "2026-03-14"]
    assert [e["data-day"] for e in marks(found["daily-runs"], "bar")] == [
        "2026-01-05", "2026-03-02", "2026-03-14", "2026-03-15",
    ]  # fmt: skip
    assert values(found["daily-runs"]) == [1, 2, 2, 2]
    assert len(marks(found["daily-teu"], "bar")) == 6  # (day, category) pairs with TEU
    assert sum(values(found["daily-teu"])) == 490
    assert values(found["cumulative"], "series") == [7]
    assert values(found["cumulative"], "pace") == [101.37]
    assert [e["data-corridor"] for e in marks(found["transit"], "bar")] == ["HHW-QZH", "HHW-VTE"]
    assert values(found["transit"]) == [30.75, 70.0]
    assert len(marks(found["transit"], "run")) == 3
    assert values(found["transit"], "benchmark") == [30, 72]


def test_bars_are_drawn_to_scale() -> None:
    bars = marks(charts(page())["runs-by-corridor"], "bar")
    widths = {e["data-value"]: float(e["width"]) for e in bars}
    assert widths["0"] == 0 and widths["4"] == pytest.approx(4 * widths["1"], abs=0.2)


def test_month_to_date_uses_the_months_share_of_the_target() -> None:
    text = page("month")
    found = charts(text)
    assert values(found["trains"]) == [6]
    assert values(found["trains"], "marker") == [20.55]  # 500 × 15 ÷ 365
    assert len(marks(found["daily-service"], "day")) == 2 * 15
    assert values(found["daily-runs"]) == [2, 2, 2]
    assert "month to date" in text and "2026-03-01 – 2026-03-15" in text
    assert "report due 2026-04-15" in text


@pytest.mark.parametrize(
    ("period", "label", "due", "days"),
    [
        ("month", "2026-03", "2026-04-15", 15),
        ("quarter", "2026-Q1", "2026-04-15", 74),
        ("half", "2026-H1", "2026-07-15", 74),
        ("year", "2026", "2027-01-15", 74),
    ],
)
def test_every_period_names_its_report_due_date_and_its_share_of_each_target(
    period: str, label: str, due: str, days: int
) -> None:
    text = page(period)
    found = charts(text)
    assert f"{label}: " in text and f"report due {due}" in text
    assert values(found["trains"], "marker") == [round(500 * days / 365, 2)]
    # Freight against 1000 × 10⁴ t a year, in tonnes (the /status figure is in 10⁴ t).
    assert values(found["tonnage"], "marker") == [round(1000 * days / 365, 2) * 10_000]
    assert len(marks(found["daily-service"], "day")) == 2 * days


def test_the_tonnage_tile_is_against_the_freight_target() -> None:
    text = page("quarter")
    # 5,200 t of 2,027,400 t due by 15 March (1000 × 10⁴ t × 74 ÷ 365, in tonnes).
    assert '货运吞吐量（吨） freight (t)</div><div class="kpi-value">5,200' in text
    assert "0.2% of pro-rata 2,027,400.0" in text


def test_calendar_days_are_served_missed_unknown_or_not_counted() -> None:
    """Counted from the first day with data (5 January): the 1st to the 4th are not
    counted; a day with data and no departure is missed, one without data unknown; the
    day asked about is not judged while no train of the group has left."""
    found = charts(page())
    cells = marks(found["daily-service"], "day")
    rail_sea, cross_border = cells[:74], cells[74:]

    def days_of(group: list[dict[str, str]], state: str) -> list[str]:
        return [e["data-day"] for e in marks(group, state)]

    assert days_of(rail_sea, "not_counted") == [f"2026-01-0{d}" for d in (1, 2, 3, 4)]
    assert days_of(rail_sea, "served") == ["2026-01-05", "2026-03-15"]
    assert days_of(rail_sea, "missed") == ["2026-03-02", "2026-03-14"]
    assert len(days_of(rail_sea, "unknown")) == 74 - 4 - 2 - 2
    assert days_of(cross_border, "missed") == ["2026-01-05"]
    assert days_of(cross_border, "today") == ["2026-03-15"]
    assert len(days_of(cross_border, "unknown")) == 74 - 4 - 2 - 1 - 1


def test_the_daily_service_table_tells_unknown_from_missed() -> None:
    """/status's counts: RAIL_SEA missed 2 and 12 unknown in March, 2 and 66 in the year."""
    text = page("quarter")
    table = text[text.index('data-table="daily-service"') :]
    table = table[: table.index("</table>")]
    rows = table.split("<tr>")[2:]
    assert "2026-01-05" in rows[0]
    cells = [c.split("<")[0] for c in rows[0].split("<td class=num>")[2:]]
    # streak, then missed and no data: month, quarter, year to date
    assert cells == ["2", "12", "2", "66", "2", "66"]
    assert "本季度至今无数据 No data quarter to date" in table


def test_the_tables_hold_the_figures_and_the_exceptions() -> None:
    text = page()
    assert "怀化西站（怀化国际陆港） 运营评估报告" in text
    for figure in ("101.4", "50,000", "490", "30小时通江达海", "天天班"):
        assert figure in text
    assert "MSKU9070323" in text and "45 min" in text and "+3.2 °C" in text
    assert "CAIU2000022" in text and "ongoing 进行中" in text and "open 未关闭" in text
    assert "2026-03-02 09:30" in text  # the start in the port's local time


@pytest.mark.parametrize(
    ("period", "inbound", "outbound", "empty", "row"),
    [
        (  # HHW-QZH 40 empty in, 240 out (10 empty); HHW-VTE, HHW-HAN out; WUH-HHW in
            "year",
            [40, 0, 0, 100],
            [240, 60, 50, 0],
            [40, 10],
            "<td class=num>40</td><td class=num>240</td><td class=num>16.7%</td>"
            "<td class=num>+200</td><td class=num>100.0%</td><td class=num>4.2%</td>",
        ),
        (  # March only: the 5 January train is not in it
            "month",
            [40, 0, 0, 100],
            [150, 60, 50, 0],
            [40],
            "<td class=num>40</td><td class=num>150</td><td class=num>26.7%</td>"
            "<td class=num>+110</td><td class=num>100.0%</td><td class=num>0.0%</td>",
        ),
    ],
)
def test_the_balance_section_sets_each_corridors_teu_in_against_out(
    period: str, inbound: list[float], outbound: list[float], empty: list[float], row: str
) -> None:
    text = page(period)
    chart = charts(text)["balance"]
    assert values(chart, "inbound") == inbound  # HHW-QZH, HHW-VTE, HHW-HAN, WUH-HHW
    assert values(chart, "outbound") == outbound
    assert values(chart, "empty") == empty
    assert row in text


def test_the_balance_section_without_moves_by_corridor_says_so() -> None:
    status = status_of()
    status["year_to_date"]["balance"] = {"corridors": {}, "teu_not_by_corridor": 490.0}
    text = render_html(status, reference=default_reference(), generated_at=GENERATED)
    assert "No container move counted by corridor in the period." in text
    assert "490 TEU of the period were counted before TEU was kept by corridor" in text


def test_text_from_the_figures_is_escaped() -> None:
    hostile = "<script>alert('x')</script>"
    exception = {**CLOSED, "commodity": hostile, "equipment_reference": '"><b>MSKU</b>'}
    transit = [{**TRANSIT[0], "train_id": "<i>X1</i>", "corridor": "<HHW&QZH>"}]
    text = page(exceptions=[exception], transit=transit, source='<img src="x">')
    assert "<script" not in text and "<b>" not in text and "<i>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "&lt;HHW&amp;QZH&gt;" in text and "&lt;i&gt;X1&lt;/i&gt;" in text
    assert linked_urls(text) == []


def test_without_influxdb_the_status_figures_remain_and_the_gaps_are_named() -> None:
    text = page(daily=None, transit=None, exceptions=None)
    assert set(charts(text)) == {
        "trains",
        "teu-categories",
        "reefer",
        "tonnage",
        "runs-by-corridor",
        "balance",  # from /status
    }
    assert text.count("InfluxDB was not read") == 3  # daily, transit, exceptions


def test_the_daily_series_adds_up_the_day_totals() -> None:
    series = daily_series(DAYS)
    assert series["2026-03-02"] == {
        "runs": 2,
        "outbound_runs_by_group": {"CROSS_BORDER": 1},
        "teu": 160.0,
        "teu_by_category": {"LAOS": 60.0, "OTHER": 100.0},
        "reefer_teu": 4.0,
    }


def test_periods_end_on_the_day_asked() -> None:
    assert period_bounds(AS_OF, "month") == (date(2026, 3, 1), AS_OF)
    assert period_bounds(AS_OF, "quarter") == (date(2026, 1, 1), AS_OF)
    assert period_bounds(date(2026, 8, 20), "quarter") == (date(2026, 7, 1), date(2026, 8, 20))
    assert period_bounds(date(2026, 8, 20), "half") == (date(2026, 7, 1), date(2026, 8, 20))
    assert period_bounds(AS_OF, "year") == (date(2026, 1, 1), AS_OF)


def test_the_summary_lists_every_period_with_its_report_due_date() -> None:
    text = page()
    summary = text[text.index("<h2>汇总") :]
    for label, due in (
        ("2026-03", "2026-04-15"),
        ("2026-Q1", "2026-04-15"),
        ("2026-H1", "2026-07-15"),
        ("2026", "2027-01-15"),
    ):
        assert f"</span> {label}<br>" in summary and f"<td>{due}</td>" in summary


def test_a_year_without_targets_shows_the_counts_alone() -> None:
    status = json.loads(
        compute_status(
            DAYS, default_reference(), date(2027, 1, 10), datetime(2027, 1, 10, tzinfo=UTC)
        ).model_dump_json()
    )
    text = render_html(
        status, daily_series(DAYS), [], [], reference=default_reference(), generated_at=GENERATED
    )
    found = charts(text)
    assert values(found["trains"]) == [0] and marks(found["trains"], "marker") == []
    assert marks(found["cumulative"], "pace") == []
    assert "no target for this year" in text and "None 无" in text


def test_the_exceptions_table_says_who_acknowledged_each() -> None:
    """From coldchain_ack (or /status for an exception still open): by whom, and whether
    the acknowledgement has ended (it ends when the exception closes)."""
    acked = {**CLOSED, "acknowledgement": {"by": "Li Wei", "active": False}}
    opened = {**OPEN, "acknowledgement": {"by": "Wang Fang", "since": "2026-03-15T02:10:00Z"}}
    text = page(exceptions=[acked, opened])
    assert "<th>确认 Acknowledged by</th>" in text
    assert "<td>Li Wei<br><span class=sub>ended 已结束</span></td></tr>" in text
    assert "<td>Wang Fang</td></tr>" in text
    dashes = "<td>–</td></tr>"
    assert page().count(dashes) == text.count(dashes) + 2  # nobody acknowledged: a dash


def test_the_pack_reads_who_acknowledged_each_exception_from_influxdb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def answer(columns: list[str], *values: list[Any], **tags: str) -> list[Series]:
        return [Series("m", tags, ["time", *columns], [[1772415000, *v] for v in values])]

    exception_columns = ["status", "duration_s", "peak_deviation_c"]
    tags = {k: str(CLOSED[k]) for k in ("kind", "equipment_reference", "commodity", "corridor")}
    exception_id = str(CLOSED["exception_id"])
    answers = [
        [],
        [],
        [],
        [],
        answer(exception_columns, ["CLOSED", 2700.0, 3.2], exception_id=exception_id, **tags),
        answer(
            ["by", "since_ms", "until_ms", "active"],
            ["Li Wei", 1772415600000, 1772418300000, 0],
            exception_id=exception_id,
        ),
    ]
    monkeypatch.setattr(influx_reader, "query", lambda *args, **kwargs: answers)
    _, _, (found,) = read_influx("http://influx", "lugang", AS_OF, AS_OF, UTC)
    assert found["acknowledgement"] == {"by": "Li Wei", "active": False}
