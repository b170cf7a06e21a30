"""The bilingual vocabulary, the pro-rata share and the pace verdict (lugang/vocabulary.py),
and the places that show them: the Grafana thresholds, the text report, the board. A
verdict and the numbers beside it always agree."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time
from typing import Any, get_args

import pytest
from rich.console import Console

from dashboards.board import render_board
from dashboards.panels import PACE
from dashboards.text_report import render_text
from lugang.contract import ColdChainException
from lugang.reference import default_reference
from lugang.vocabulary import (
    AT_RISK_PERCENT,
    KIND_LABELS,
    ON_TRACK_PERCENT,
    PACE_STEPS,
    Verdict,
    days_in_year,
    pace_percent,
    pro_rata,
    shown_pace,
    verdict,
)
from streams.domain.counts import DayTotals
from streams.domain.status import compute_status


@pytest.mark.parametrize(
    ("pace", "expected"),
    [
        (None, None),
        (0.0, Verdict.BEHIND),
        (0.8999, Verdict.BEHIND),
        (0.9, Verdict.AT_RISK),
        (0.95, Verdict.AT_RISK),
        (0.9999, Verdict.AT_RISK),
        (1.0, Verdict.ON_TRACK),
        (1.5, Verdict.ON_TRACK),
    ],
)
def test_the_verdict_of_a_pace(pace: float | None, expected: Verdict | None) -> None:
    assert verdict(pace) is expected


@pytest.mark.parametrize(
    ("judged", "en", "zh", "symbol", "colour"),
    [
        (Verdict.ON_TRACK, "on track", "达到进度", "✔", "green"),
        (Verdict.AT_RISK, "slightly behind", "略低于进度", "!", "orange"),
        (Verdict.BEHIND, "behind", "落后于进度", "✘", "red"),
    ],
)
def test_each_verdict_has_its_words_symbol_and_colour(
    judged: Verdict, en: str, zh: str, symbol: str, colour: str
) -> None:
    assert (judged.label.en, judged.label.zh) == (en, zh)
    assert (judged.symbol, judged.grafana_colour) == (symbol, colour)


def test_the_grafana_pace_thresholds_are_the_verdicts() -> None:
    assert (AT_RISK_PERCENT, ON_TRACK_PERCENT) == (90, 100)
    assert PACE == PACE_STEPS == ((None, "red"), (90, "orange"), (100, "green"))


@pytest.mark.parametrize(
    ("target", "day", "since", "expected"),
    [
        (500, date(2026, 1, 1), None, 500 / 365),
        (500, date(2026, 3, 15), None, 500 * 74 / 365),
        (500, date(2026, 12, 31), None, 500),
        (366, date(2028, 2, 29), None, 60),  # a leap year has 366 days
        (500, date(2026, 3, 15), date(2026, 3, 1), 500 * 15 / 365),
        (0, date(2026, 6, 1), None, 0),
    ],
)
def test_pro_rata_counts_the_day_itself(
    target: float, day: date, since: date | None, expected: float
) -> None:
    assert pro_rata(target, day, since) == pytest.approx(expected)


def test_days_in_year() -> None:
    assert [days_in_year(y) for y in (2026, 2028, 2100, 2000)] == [365, 366, 365, 366]


def test_every_exception_kind_has_one_label_in_each_language() -> None:
    kinds = get_args(ColdChainException.model_fields["kind"].annotation)
    assert set(KIND_LABELS) == set(kinds)
    for label in KIND_LABELS.values():
        assert label.en.isascii() and label.zh and not label.zh.isascii()
    assert len({label.zh for label in KIND_LABELS.values()}) == len(KIND_LABELS)


@pytest.mark.parametrize(
    ("pace", "decimals", "shown"),
    [
        (0.0, 0, "0%"),
        (0.7299, 0, "72%"),
        (0.8999, 0, "89%"),  # behind, never "90%"
        (0.9, 0, "90%"),
        (0.9999, 0, "99%"),  # slightly behind, never "100%"
        (0.9999, 1, "99.9%"),
        (1.0, 0, "100%"),
        (0.29, 0, "29%"),  # 0.29 * 100 is 28.999999999999996 in binary
        (12.3456, 1, "1,234.5%"),
    ],
)
def test_a_pace_percentage_is_rounded_down(pace: float, decimals: int, shown: str) -> None:
    assert pace_percent(pace, decimals) == shown


@pytest.mark.parametrize(
    ("actual", "due", "pace", "decimals", "figures"),
    [
        # the demo's first day: 1 run against 500 × 1/365 = 1.37 due, never "1 / 1"
        (1, 1.37, 0.7299, 0, ("1", "1.4", "72%", Verdict.BEHIND)),
        (80, 101.37, 0.7891, 0, ("80", "101.4", "78%", Verdict.BEHIND)),
        # equal at one decimal, but under: the second decimal shows it
        (10, 10.04, 0.996, 0, ("10", "10.04", "99%", Verdict.AT_RISK)),
        (10, 9.96, 1.004, 0, ("10", "10.0", "100%", Verdict.ON_TRACK)),
        # a count that is not whole gets the decimals it needs
        (12.25, 12.1, 1.0123, 0, ("12.2", "12.10", "101%", Verdict.ON_TRACK)),
        (0.8312, 27.4, 0.0303, 2, ("0.83", "27.40", "3%", Verdict.BEHIND)),
        (1500, 1500.0, 1.0, 0, ("1,500", "1,500.0", "100%", Verdict.ON_TRACK)),
        (0, 0.0, None, 0, ("0", "0.0", None, None)),
    ],
)
def test_shown_figures_compare_as_the_exact_ones(
    actual: float,
    due: float,
    pace: float | None,
    decimals: int,
    figures: tuple[str, str, str | None, Verdict | None],
) -> None:
    shown = shown_pace(actual, due, pace, decimals)
    assert (shown.actual, shown.due, shown.percent, shown.verdict) == figures
    as_shown = float(shown.actual.replace(",", "")) >= float(shown.due.replace(",", ""))
    assert as_shown == (actual >= due)


def _status(actual_runs: int, day: date = date(2026, 3, 15)) -> dict[str, Any]:
    """/status of ``day`` with ``actual_runs`` outbound rail-sea runs on that day."""
    totals = DayTotals(
        day=day,
        runs={"HHW-QZH/OUTBOUND": actual_runs},
        outbound_runs_by_group={"RAIL_SEA": actual_runs},
    )
    status = compute_status(
        {day: totals}, default_reference(), day, datetime.combine(day, time(4), UTC)
    )
    body: dict[str, Any] = json.loads(status.model_dump_json())
    return body


@pytest.mark.parametrize(
    ("runs", "words", "mark"),
    [(80, "behind", "✘"), (95, "slightly behind", "!"), (102, "on track", "✔")],
)
def test_the_text_report_and_the_board_judge_pace_alike(runs: int, words: str, mark: str) -> None:
    # pro-rata of 500 trains by 15 March: 101.37
    status = _status(runs)
    reference = default_reference()
    text = render_text(status, reference)
    (trains,) = [line for line in text.splitlines() if line.startswith("trains YTD")]
    assert trains.startswith(f"trains YTD      {runs} runs of 500 (pro-rata 101.4)")
    assert trains.endswith(f"({words})")
    assert f"{runs} / 101.4 (of 500)  {runs * 100 // 101.37:.0f}% {mark}" in _board(status)


def _board(status: dict[str, Any]) -> str:
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(
        render_board(status, "2026-03-15 12:00", 0, default_reference())
    )
    return out.getvalue()


def test_one_run_on_new_years_day_is_behind_its_due_figure_as_shown() -> None:
    """The demo's first board read ``train runs 1 / 1 pro-rata (of 500) ✘``: 1.37 was due."""
    status = _status(1, date(2026, 1, 1))
    (board,) = [line for line in _board(status).splitlines() if "train runs" in line]
    assert board.split() == [
        "train",
        "runs",
        "班列",
        "1",
        "/",
        "1.4",
        "(of",
        "500)",
        "73%",
        "✘",
        "–",
    ]
    (trains,) = [
        line
        for line in render_text(status, default_reference()).splitlines()
        if line.startswith("trains YTD")
    ]
    assert trains == "trains YTD      1 runs of 500 (pro-rata 1.4)  pace 73% (behind)"


def test_the_port_is_named_as_the_reference_names_it() -> None:
    reference = default_reference()
    home = reference.home.model_copy(update={"name_en": "Elsewhere Port", "name_zh": "别处港"})
    elsewhere = reference.model_copy(update={"home": home})
    status = _status(1)
    assert "(Elsewhere Port 别处港)" in render_text(status, elsewhere).splitlines()[0]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(render_board(status, "2026-03-15 12:00", 0, elsewhere))
    assert "Elsewhere Port 别处港" in console.file.getvalue()  # type: ignore[attr-defined]
