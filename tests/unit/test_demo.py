"""The demo's parts that need no broker: history then live pacing, the log of paged
exceptions, what the board shows of the last days and of exceptions open and closed."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import orjson
from rich.console import Console

from dashboards.board import describe_exception, render_board
from entrypoints.demo import Plan, SimulatorProgress, speed_words
from entrypoints.page_log import ExceptionLog
from lugang.reference import default_reference
from producers.pacing import paced_after
from producers.records import Record
from streams.domain.counts import DayTotals
from streams.domain.status import compute_status

REF = default_reference()


def _records(*stamps_s: int) -> list[Record]:
    return [Record("trains", "X1", b"{}", s * 1000) for s in stamps_s]


class _Clock:
    """A fake monotonic clock that sleeping moves on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_history_goes_at_once_then_the_rest_is_paced_from_its_first_record() -> None:
    clock = _Clock()
    records = _records(0, 3_000, 86_000, 86_400, 86_460, 86_520)
    sent = list(paced_after(records, 86_400_000, 60, clock.sleep, lambda: clock.now))
    assert sent == records
    assert clock.slept == [1.0, 1.0]  # a minute of event time a second, from 86,400 s on


def test_no_history_paces_everything_and_all_history_paces_nothing() -> None:
    clock = _Clock()
    records = _records(0, 60, 120)
    assert list(paced_after(records, 0, 60, clock.sleep, lambda: clock.now)) == records
    assert clock.slept == [1.0, 1.0]
    clock.slept.clear()
    assert list(paced_after(records, 10**12, 60, clock.sleep, lambda: clock.now)) == records
    assert clock.slept == []


def _exception(kind: str, started: str, ended: str | None = None) -> dict[str, Any]:
    return {
        "exception_id": f"CXRU1234567-{kind}-{started}",
        "kind": kind,
        "equipment_reference": "CXRU1234567",
        "commodity": "durian",
        "corridor": "HHW-VTE",
        "started_at": started,
        "ended_at": ended,
        "peak_deviation_c": 2.34 if kind in ("HIGH", "LOW") else None,
        "duration_s": None if ended is None else 3900.0,
        "status": "OPEN" if ended is None else "CLOSED",
    }


def _request(*exceptions: dict[str, Any], resend: bool = False) -> bytes:
    return orjson.dumps({"exceptions": list(exceptions), "live": False, "resend": resend})


HIGH_OPEN = _exception("HIGH", "2026-01-08T05:04:00+08:00")
HIGH_CLOSED = _exception("HIGH", "2026-01-08T05:04:00+08:00", "2026-01-08T06:09:00+08:00")
GAP_CLOSED = _exception("TELEMETRY_GAP", "2026-01-03T20:00:00+08:00", "2026-01-03T21:05:00+08:00")


def test_the_log_keeps_each_exception_as_it_stands_and_says_what_changed() -> None:
    log = ExceptionLog()
    assert log.take(_request(HIGH_OPEN)) == [("opened", HIGH_OPEN)]
    assert log.take(_request(HIGH_OPEN)) == []  # a re-send changes nothing
    assert log.take(_request(resend=True)) == []
    assert log.take(_request(HIGH_CLOSED)) == [("closed", HIGH_CLOSED)]
    assert log.take(_request(HIGH_OPEN)) == []  # closed stays closed
    assert log.take(_request(GAP_CLOSED)) == [("opened and closed", GAP_CLOSED)]
    assert log.all() == [HIGH_CLOSED, GAP_CLOSED]


def _board(
    exceptions: list[dict[str, Any]],
    open_now: list[dict[str, Any]],
    now: datetime = datetime(2026, 1, 8, 6, 30, tzinfo=UTC),  # 14:30 in Huaihua
    served: tuple[int, ...] = (5, 6, 7),
) -> str:
    days = {
        date(2026, 1, d): DayTotals(
            day=date(2026, 1, d),
            runs={"HHW-QZH/OUTBOUND": 1},
            outbound_runs_by_group={"RAIL_SEA": 1},
        )
        for d in served
    }
    status = json.loads(compute_status(days, REF, date(2026, 1, 8), now).model_dump_json())
    status["open_exceptions"] = open_now
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(
        render_board(
            status,
            "2026-01-08 14:30",
            5_432,
            REF,
            exceptions=exceptions,
            note="live from 2026-01-08 at a day a minute",
            paging="not paged: LUGANG_ALERTMANAGER_URL is unset",
        )
    )
    return out.getvalue()


def test_the_board_shows_each_measures_year_end_projection() -> None:
    """Beside each measure's pace: the projected total, its interval and the chance of the
    target (``/status`` ``projection``); ``–`` where there is none yet."""
    status = json.loads(
        compute_status(
            {}, REF, date(2026, 1, 8), datetime(2026, 1, 8, 6, 30, tzinfo=UTC)
        ).model_dump_json()
    )
    measure = {"actual": 120.0, "projected": 512.4, "low": 480.0, "high": 540.6}
    status["projection"] = {
        "train_runs": {**measure, "probability": 0.62},
        "teu": {**measure, "probability": 0.2},
        "teu_by_category": {},
        "reefer_teu": None,
        "tonnage": {**measure, "probability": None},
    }
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(render_board(status, "", 0, REF))
    board = out.getvalue()
    assert "year-end projection 全年预计" in board
    assert _row(board, "train", "runs")[-3:] == ["512", "(480–541)", "62%"]
    assert _row(board, "TEU", "到发量")[-3:] == ["512", "(480–541)", "20%"]
    assert _row(board, "reefer", "TEU")[-1] == "–"
    assert _row(board, "tonnage")[-2:] == ["512.40", "(480.00–540.60)"]


def _row(board: str, *first: str) -> list[str]:
    """The words of the one line of ``board`` that starts with the words ``first``."""
    (line,) = [line for line in board.splitlines() if tuple(line.split()[: len(first)]) == first]
    return line.split()


def test_the_board_shows_the_last_days_served_and_missed() -> None:
    board = _board([], [])
    assert "Last 7 days 近七日" in board
    # Days are counted from the first with data (the 5th): the 4th is not counted.
    not_counted = ["·", "not", "counted"]
    assert _row(board, "01-04")[1:] == ["Sun", "0", "0", *not_counted, *not_counted]
    assert _row(board, "01-07")[1:] == ["Wed", "1", "0", "✔", "served", "✘", "missed"]
    assert _row(board, "01-08")[1:] == ["Thu", "0", "0", "…", "open", "…", "open"]
    assert _row(board, "RAIL_SEA", "open") == ["RAIL_SEA", "open", "3", "0", "0"]  # streak 3
    assert _row(board, "CROSS_BORDER", "open") == ["CROSS_BORDER", "open", "0", "3", "3"]
    assert "live from 2026-01-08 at a day a minute" in board


def test_a_day_without_data_is_no_data_on_the_board_not_missed() -> None:
    board = _board([], [], served=(5, 7))
    assert _row(board, "01-06")[1:] == ["Tue", "0", "0", "?", "no", "data", "?", "no", "data"]
    assert _row(board, "RAIL_SEA", "open") == ["RAIL_SEA", "open", "1", "0", "0"]


def test_today_unserved_past_the_warning_hour_is_marked() -> None:
    board = _board([], [], now=datetime(2026, 1, 8, 10, 0, tzinfo=UTC))  # 18:00 in Huaihua
    assert _row(board, "01-08")[1:] == ["Thu", "0", "0", "!", "not", "yet", "!", "not", "yet"]
    assert _row(board, "RAIL_SEA", "WARNING") == ["RAIL_SEA", "WARNING", "3", "0", "0"]


def test_the_board_lists_exceptions_open_and_closed() -> None:
    board = _board([GAP_CLOSED, HIGH_OPEN], [HIGH_OPEN])
    assert "Cold-chain exceptions 冷链异常 — 1 open now; not paged" in board
    gap = "no telemetry CXRU1234567 durian HHW-VTE 01-03 20:00 21:05 1 h 05 min"
    assert _row(board, "no", "telemetry") == gap.split()
    high = "HIGH excursion CXRU1234567 durian HHW-VTE 01-08 05:04 open 2.3 °C"
    assert _row(board, "HIGH", "excursion") == high.split()


def test_an_exception_in_one_line() -> None:
    assert describe_exception(HIGH_CLOSED, REF) == (
        "HIGH excursion CXRU1234567 (durian, HHW-VTE) 01-08 05:04 – 06:09 (1 h 05 min)"
    )
    assert describe_exception(HIGH_OPEN, REF) == (
        "HIGH excursion CXRU1234567 (durian, HHW-VTE) 01-08 05:04"
    )


def test_the_board_says_what_the_simulator_does() -> None:
    plan = Plan(date(2026, 1, 1), 7, 1440)
    progress = SimulatorProgress()
    assert plan.note(progress) == (
        "sending 7 days of history from 2026-01-01 at full speed, "
        "then live from 2026-01-08 at a day a minute"
    )
    progress.live = True
    assert plan.note(progress) == (
        "live from 2026-01-08 at a day a minute, "
        "after 7 days of history from 2026-01-01 sent at full speed"
    )
    assert Plan(date(2026, 3, 1), 0, 60).note(progress) == "live from 2026-03-01 at 60× real time"
    assert speed_words(1440) == "a day a minute"
