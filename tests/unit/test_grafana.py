"""The parts of ``dashboards.grafana`` that need no socket: dashboard files, annotation texts,
and how each failure of grafana-client becomes one clear line. (The HTTP side is tested in
tests/integration/test_grafana.py, against a recorded Grafana exchange.)"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grafana_client.client
import niquests
import pytest

from dashboards.grafana.annotations import departure_annotation, epoch_ms, exception_annotation
from dashboards.grafana.errors import (
    DashboardFileError,
    GrafanaAuthError,
    GrafanaError,
    GrafanaRequestError,
    GrafanaUnreachable,
    grafana_errors,
)
from dashboards.grafana.influx import local_day_range
from dashboards.grafana.push import load_dashboards

URL = "http://admin:secret@grafana.example:3000"
client: Any = grafana_client.client  # its exceptions have no type annotations


def write(folder: Path, name: str, content: object) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    (folder / name).write_text(text, encoding="utf-8")


def test_dashboards_are_read_in_file_order_and_unwrapped(tmp_path: Path) -> None:
    write(tmp_path, "b.json", {"uid": "b", "title": "B", "panels": []})
    write(tmp_path, "a.json", {"dashboard": {"uid": "a", "title": "A"}, "meta": {}})
    write(tmp_path, "notes.txt", "not a dashboard")

    assert [d["uid"] for d in load_dashboards(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no *.json dashboard in it"),
        ({"x.json": "{not json"}, "x.json: cannot read it as JSON"),
        ({"x.json": [1, 2]}, "x.json: not a dashboard"),
        ({"x.json": {"title": "no uid"}}, "x.json: a dashboard needs a uid and a title"),
        (
            {"x.json": {"uid": "u", "title": "X"}, "y.json": {"uid": "u", "title": "Y"}},
            "y.json: uid 'u' is also the uid of",
        ),
    ],
)
def test_a_bad_dashboard_folder_is_one_line(
    tmp_path: Path, files: dict[str, object], message: str
) -> None:
    for name, content in files.items():
        write(tmp_path, name, content)
    with pytest.raises(DashboardFileError, match=r"^.*" + message.replace("*", r"\*")) as failure:
        load_dashboards(tmp_path)
    assert "\n" not in str(failure.value)


def test_a_missing_dashboard_folder_says_which_option(tmp_path: Path) -> None:
    with pytest.raises(DashboardFileError, match="no such folder of dashboards"):
        load_dashboards(tmp_path / "missing")


def test_annotation_texts_and_tags() -> None:
    at = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    train = departure_annotation("X260001", "HHW-QZH", at)
    assert (train.text, train.tags) == (
        "X260001 HHW-QZH departed / 发车",
        ("lugang", "train", "departure", "HHW-QZH"),
    )
    known = exception_annotation("MSKU9070323", "POWER_OFF", "durian", "HHW-VTE", at)
    unknown = exception_annotation("MSKU9070323", "HIGH", "unknown", "unknown", at, "lugang-x")
    assert known.text == (
        "MSKU9070323 POWER_OFF cold-chain exception opened / 冷链异常 (durian, HHW-VTE)"
    )
    assert known.tags == ("lugang", "coldchain", "exception", "POWER_OFF")
    assert unknown.text == "MSKU9070323 HIGH cold-chain exception opened / 冷链异常"
    assert unknown.dashboard_uid == "lugang-x"
    assert epoch_ms(at) == 1773106200000


def test_local_days_become_a_half_open_utc_range() -> None:
    start, end = local_day_range(date(2026, 3, 10), date(2026, 3, 11), ZoneInfo("Asia/Shanghai"))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2026, 3, 9, 16, tzinfo=UTC),
        datetime(2026, 3, 11, 16, tzinfo=UTC),
    )
    with pytest.raises(GrafanaError, match="--to 2026-03-09 is before --from 2026-03-10"):
        local_day_range(date(2026, 3, 10), date(2026, 3, 9), ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("raised", "expected", "says"),
    [
        (
            niquests.exceptions.ConnectionError("... [Errno 111] Connection refused')"),
            GrafanaUnreachable,
            "cannot reach Grafana at http://grafana.example:3000 (connection refused);",
        ),
        (
            niquests.exceptions.ConnectionError("NameResolutionError: Failed to resolve 'x'"),
            GrafanaUnreachable,
            "cannot reach Grafana at http://grafana.example:3000 (unknown host name);",
        ),
        (
            client.GrafanaTimeoutError(0, None, "read timed out"),
            GrafanaUnreachable,
            "cannot reach Grafana at http://grafana.example:3000 (no answer within 10 s);",
        ),
        (
            client.GrafanaUnauthorizedError({"message": "Invalid API key"}),
            GrafanaAuthError,
            "refused the token (401 Invalid API key) when asked to list its folders: "
            "check LUGANG_GRAFANA_TOKEN",
        ),
        (
            client.GrafanaClientError(
                403, {"message": "Permissions needed:\n dashboards:write"}, ""
            ),
            GrafanaAuthError,
            "refused the token (403 Permissions needed: dashboards:write)",
        ),
        (
            client.GrafanaClientError(404, {"message": "Not found"}, ""),
            GrafanaRequestError,
            "http://grafana.example:3000 answered 404 when asked to list its folders: is that",
        ),
        (
            client.GrafanaClientError(412, {"message": "version-mismatch"}, ""),
            GrafanaRequestError,
            "refused to list its folders (412 version-mismatch)",
        ),
        (
            client.GrafanaServerError(500, {"message": "database is locked"}, ""),
            GrafanaRequestError,
            "failed to list its folders (500 database is locked); see Grafana's log",
        ),
    ],
)
def test_each_failure_is_one_line_without_the_password(
    raised: Exception, expected: type[GrafanaError], says: str
) -> None:
    with pytest.raises(expected) as failure, grafana_errors(URL, "list its folders"):
        raise raised
    message = str(failure.value)
    assert says in message
    assert "\n" not in message
    assert "secret" not in message
