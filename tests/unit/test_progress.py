"""The progress of ``replay``, ``simulate`` and ``record`` (entrypoints/cli/progress.py): a
rich bar on a terminal, plain lines every few seconds elsewhere; share done and time left
against the record count or the event-time window, none without a goal."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import entrypoints.cli.produce
from entrypoints.cli import main
from entrypoints.cli.progress import Goal, Progress, Window
from producers.records import Record, write_recording

TZ = ZoneInfo("Asia/Shanghai")
START_MS = 1_772_294_400_000  # 2026-03-01 00:00 in the port (UTC+8)
HOUR_MS = 3_600_000


class Clock:
    """A clock the test moves: one second per record consumed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def hourly(count: int) -> list[int]:
    """Event times an hour apart from the window's start."""
    return [START_MS + n * HOUR_MS for n in range(count)]


def run(goal: Goal, terminal: bool, items: list[int], every_s: float = 5.0) -> str:
    """What the progress of consuming ``items`` shows, a record a second on a test clock
    (a terminal: the real clock, which the bar's time left needs)."""
    out = io.StringIO()
    clock = Clock()
    progress = Progress(
        "replay w.jsonl",
        goal,
        TZ,
        out=out,
        terminal=terminal,
        every_s=every_s,
        clock=time.monotonic if terminal else clock,
    )
    for item in progress.track(items, lambda ms: ms):
        assert item == items[progress.count - 1]
        clock.now += 1
    return out.getvalue()


def test_plain_lines_give_the_count_of_the_total_rate_share_time_left_and_event_time() -> None:
    lines = run(20, terminal=False, items=hourly(20)).splitlines()
    assert lines == [
        "replay w.jsonl: 5 of 20 records, 1/s, event time 2026-03-01 04:00+08:00, "
        "25% done, 0:00:15 left",
        "replay w.jsonl: 10 of 20 records, 1/s, event time 2026-03-01 09:00+08:00, "
        "50% done, 0:00:10 left",
        "replay w.jsonl: 15 of 20 records, 1/s, event time 2026-03-01 14:00+08:00, "
        "75% done, 0:00:05 left",
        "replay w.jsonl: 20 of 20 records, 1/s, event time 2026-03-01 19:00+08:00, "
        "100% done, 0:00:00 left",
        "replay w.jsonl: 20 records in 0:00:20 (1/s), event time 2026-03-01 19:00+08:00",
    ]


def test_a_window_measures_the_share_by_event_time() -> None:
    """simulate knows its days, not its records: 6 h of a 24 h window is a quarter."""
    window = Window(START_MS, START_MS + 24 * HOUR_MS)
    first = run(window, terminal=False, items=hourly(24)[::2]).splitlines()[0]
    assert first == (
        "replay w.jsonl: 5 records, 1/s, event time 2026-03-01 08:00+08:00, 33% done, 0:00:10 left"
    )


def test_without_a_goal_there_is_no_share_and_no_time_left() -> None:
    """record: count, rate and event time only."""
    lines = run(None, terminal=False, items=hourly(4), every_s=2).splitlines()
    assert lines == [
        "replay w.jsonl: 2 records, 1/s, event time 2026-03-01 01:00+08:00",
        "replay w.jsonl: 4 records, 1/s, event time 2026-03-01 03:00+08:00",
        "replay w.jsonl: 4 records in 0:00:04 (1/s), event time 2026-03-01 03:00+08:00",
    ]


def test_nothing_to_count_still_ends_with_a_line() -> None:
    assert run(5, terminal=False, items=[]) == "replay w.jsonl: 0 records in 0:00:00 (0/s)\n"


@pytest.mark.parametrize(
    ("goal", "shown"), [(20, "20 of 20 records"), (Window(START_MS, START_MS + 1), "20 records")]
)
def test_a_terminal_gets_a_bar(goal: Goal, shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    drawn = run(goal, terminal=True, items=hourly(20))
    assert "\x1b[" in drawn and "━" in drawn  # rich's bar, in colour
    assert "100%" in drawn
    assert shown in drawn
    assert "event time 2026-03-01 19:00+08:00" in drawn


def test_a_terminal_without_a_goal_gets_a_pulsing_bar_without_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    drawn = run(None, terminal=True, items=hourly(3))
    assert "3 records" in drawn and "%" not in drawn


def test_a_run_stopped_early_ends_its_display() -> None:
    """A send that fails closes the tracked generator: the bar stops, no error."""
    out = io.StringIO()
    records = Progress("record", None, TZ, out=out, terminal=True).track(hourly(5), int)
    assert next(records) == START_MS
    records.close()
    assert out.getvalue().endswith("\x1b[?25h")  # the cursor shown again


def test_the_commands_show_progress_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """simulate --out: stderr (not a terminal here) ends with the plain final line."""
    out = tmp_path / "day.jsonl"
    assert (
        main(["simulate", "--start", "2026-03-01", "--end", "2026-03-01", "--out", str(out)]) == 0
    )
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("simulate: ")
    assert " records in " in err[-1] and "event time 2026-03-01 23:" in err[-1]


def test_replay_counts_against_the_records_it_read_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The total of replay's progress is the count its check of the file found."""
    recording = tmp_path / "three.jsonl"
    with recording.open("wb") as out:
        write_recording([Record.of_json("trains", "T", {}, ms) for ms in hourly(3)], out)
    goals: list[Goal] = []

    def send_all(args: object, reference: object, records: Iterator[object]) -> int:
        assert len(list(records)) == 3
        return 0

    def recorded(what: str, goal: Goal, tz: ZoneInfo) -> Progress:
        goals.append(goal)
        return Progress(what, goal, tz, out=io.StringIO(), terminal=False)

    monkeypatch.setattr(entrypoints.cli.produce, "_send_all", send_all)
    monkeypatch.setattr("entrypoints.cli.produce.Progress", recorded)
    assert main(["replay", str(recording)]) == 0
    assert goals == [3]
