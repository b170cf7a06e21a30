"""The bilingual vocabulary, the pro-rata share and the pace verdict (lugang/vocabulary.py),
and the places that show them: the Grafana thresholds, the text report, the board."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
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
    pro_rata,
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


def _status(actual_runs: int) -> dict[str, Any]:
    """/status of 2026-03-15 with ``actual_runs`` outbound rail-sea runs on that day."""
    day = date(2026, 3, 15)
    totals = DayTotals(
        day=day,
        runs={"HHW-QZH/OUTBOUND": actual_runs},
        outbound_runs_by_group={"RAIL_SEA": actual_runs},
    )
    status = compute_status(
        {day: totals}, default_reference(), day, datetime(2026, 3, 15, 4, tzinfo=UTC)
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
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(render_board(status, "2026-03-15 12:00", 0, reference))
    board = console.file.getvalue()  # type: ignore[attr-defined]
    assert f"{runs} / 101 pro-rata (of 500) {mark}" in board


def test_the_port_is_named_as_the_reference_names_it() -> None:
    reference = default_reference()
    home = reference.home.model_copy(update={"name_en": "Elsewhere Port", "name_zh": "别处港"})
    elsewhere = reference.model_copy(update={"home": home})
    status = _status(1)
    assert "(Elsewhere Port 别处港)" in render_text(status, elsewhere).splitlines()[0]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(render_board(status, "2026-03-15 12:00", 0, elsewhere))
    assert "Elsewhere Port 别处港" in console.file.getvalue()  # type: ignore[attr-defined]
