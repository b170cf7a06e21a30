"""bench/projection.py: the backtest's table has its shape, and a seed gives one backtest.
Figures are the benchmark's business, not the tests'."""

from __future__ import annotations

import re

import pytest

from bench.projection import DATES, backtest, main

MEASURES = [
    "train_runs",
    "teu",
    "teu:LAOS",
    "teu:OTHER",
    "teu:RAIL_SEA",
    "teu:VIETNAM",
    "reefer_teu",
    "tonnage",
    "all measures",
]
PERCENT = re.compile(r"\d+(\.\d)?%")


def test_the_table_has_a_row_per_measure_and_date(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--seeds", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Year-end projection, backtest over 2 seeds")
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[4:]]
    assert len(rows) == len(DATES) * len(MEASURES)
    assert [row[0] for row in rows] == MEASURES * len(DATES)
    assert [row[1] for row in rows[:: len(MEASURES)]] == ["1 Apr", "1 Jul", "1 Oct"]
    for row in rows:
        assert len(row) == 8
        assert all(PERCENT.fullmatch(cell) for cell in row[2:]), row


def test_a_seed_gives_one_backtest() -> None:
    cases = backtest([5], scale=0.5)
    assert cases == backtest([5], scale=0.5)
    assert {case.previous for case in cases} == {False, True}
    assert all(case.low <= case.projected <= case.high for case in cases)


def test_help_explains(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "--seeds" in out
    assert "coverage" in out or "interval" in out
