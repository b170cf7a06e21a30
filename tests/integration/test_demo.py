"""``lugang demo`` end to end (embedded broker, worker subprocess, simulator): its first
minute shows what the monitor is for.

The board goes to a pipe, so rich prints only the final board, when ``--seconds`` end; the
demo's timeline lines (``[ 12.3 s] ...``, seconds since the demo started) come as they
happen. The guarantee that the traffic holds these things is tests/unit/test_showcase.py;
this test checks that they reach the screen, in time.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from tests.integration.servers import WebhookReceiver

FIRST_MINUTE = 60.0
TIMELINE = re.compile(r"^\[\s*(?P<at>[\d.]+) s\] (?P<what>.*)$", re.MULTILINE)
DAY_ROW = re.compile(r"\b\d\d-\d\d (Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")
DAILY_SERVICE = re.compile(
    r"^\s*(?P<group>RAIL_SEA|CROSS_BORDER)\s+(served|open|WARNING)\s+"
    r"(?P<streak>\d+)\s+(?P<mtd>\d+)\s+(?P<ytd>\d+)\s*$",
    re.MULTILINE,
)
CONTAINER = re.compile(r"\b[A-Z]{4}\d{7}\b")
TRAIN_PACE = re.compile(
    r"train runs 班列\s+(?P<actual>[\d,]+) / (?P<due>[\d,.]+) \(of 500\)\s+\d+% (?P<mark>[✔!✘])"
)


def _timeline(stdout: str) -> list[tuple[float, str]]:
    return [(float(m["at"]), m["what"]) for m in TIMELINE.finditer(stdout)]


def _first(timeline: list[tuple[float, str]], prefix: str) -> tuple[float, str]:
    found = [(at, what) for at, what in timeline if what.startswith(prefix)]
    assert found, f"no line starting {prefix!r} in the timeline: {timeline}"
    return found[0]


SERVERS = ("LUGANG_INFLUX_URL", "LUGANG_ALERTMANAGER_URL")


def _run_demo(seconds: int, servers: Mapping[str, str]) -> tuple[str, list[tuple[float, str]]]:
    """``lugang demo --seconds SECONDS`` with only the ``servers`` variables among
    :data:`SERVERS`: its output (printed, for the test log) and its timeline."""
    env = {k: v for k, v in os.environ.items() if k not in SERVERS}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "demo", "--seconds", str(seconds)],
        env={**env, **servers, "COLUMNS": "160"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"lugang demo --seconds {seconds} took {took:.0f} s; its output:\n{result.stdout}")
    return result.stdout, _timeline(result.stdout)


def _closed(timeline: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The timeline's lines about exceptions that closed."""
    prefixes = ("cold-chain exception closed", "cold-chain exception opened and closed")
    return [(at, what) for at, what in timeline if what.startswith(prefixes)]


def test_the_demos_first_minute_shows_what_the_monitor_does() -> None:
    out, timeline = _run_demo(60, {})

    # The history is in within the first minute; an excursion opens and closes in it, and
    # another opens and closes live (seen open first).
    history_at, _ = _first(timeline, "history sent: 7 days")
    closed = _closed(timeline)
    opened_at, _ = _first(timeline, "cold-chain exception opened: ")
    assert closed, timeline
    assert max(history_at, opened_at, closed[0][0]) <= FIRST_MINUTE, timeline
    live_excursion = [
        what
        for _, what in closed
        if "excursion" in what and " 01-08 " in what  # the first live day
    ]
    assert live_excursion, timeline

    board = out[out.rindex("Lugang 陆港") :]
    assert "not paged: LUGANG_ALERTMANAGER_URL is unset" in board
    # Several days, served and missed.
    assert "Last 7 days 近七日" in board
    assert len(DAY_ROW.findall(board)) >= 7
    assert "✔ served" in board and "✘ missed" in board
    # A streak, and missed days in both groups.
    groups = {m["group"]: m for m in DAILY_SERVICE.finditer(board)}
    assert set(groups) == {"RAIL_SEA", "CROSS_BORDER"}, board
    assert max(int(m["streak"]) for m in groups.values()) >= 2, board
    assert all(int(m["ytd"]) >= 1 for m in groups.values()), board
    # The pace verdict agrees with the numbers beside it.
    pace = TRAIN_PACE.search(board)
    assert pace is not None, board
    on_track = float(pace["actual"].replace(",", "")) >= float(pace["due"].replace(",", ""))
    assert (pace["mark"] == "✔") == on_track, pace.group(0)
    # The exceptions table lists the closed ones too.
    assert any(c in board for _, what in closed for c in CONTAINER.findall(what)), board
    assert "Lugang demo stopped." in out


def _notifications(webhook: WebhookReceiver) -> list[dict[str, Any]]:
    """The alerts of every notification the webhook has received and not yet handed out."""
    alerts: list[dict[str, Any]] = []
    while True:
        try:
            alerts += webhook.notifications.get_nowait()["alerts"]
        except queue.Empty:
            return alerts


def test_with_alertmanager_the_demo_pages_the_excursion_and_resolves_it(
    alertmanager_url: str, webhook: WebhookReceiver
) -> None:
    """LUGANG_ALERTMANAGER_URL reaches the demo's worker: the live excursion fires at the
    Alertmanager's receiver, then resolves, and the board says where pages go."""
    _notifications(webhook)  # earlier tests' notifications
    out, timeline = _run_demo(45, {"LUGANG_ALERTMANAGER_URL": alertmanager_url})

    assert f"paged to Alertmanager at {alertmanager_url}" in out[out.rindex("Lugang 陆港") :]
    live = [what for _, what in _closed(timeline) if "excursion" in what and " 01-08 " in what]
    assert live, timeline
    assert live[0].endswith("(page resolved)"), live[0]
    (container,) = CONTAINER.findall(live[0])
    time.sleep(3)  # Alertmanager's group_interval (1 s) and the webhook's delivery
    statuses = {
        alert["status"]
        for alert in _notifications(webhook)
        if alert["labels"].get("container") == container
        and alert["labels"].get("kind") in ("HIGH", "LOW")
    }
    assert statuses == {"firing", "resolved"}, statuses
