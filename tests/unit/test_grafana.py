"""The parts of ``dashboards.grafana`` that need no socket: dashboard files, how each
failure of grafana-client becomes one clear line, and the data-source check of a push,
against a fake client. (The HTTP side is tested in tests/integration/test_grafana.py,
against a recorded Grafana exchange.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grafana_client.client
import niquests
import pytest

from dashboards.grafana import commands
from dashboards.grafana.datasources import DataSourceMissing, check_datasources, datasource_uids
from dashboards.grafana.errors import (
    DashboardFileError,
    GrafanaAuthError,
    GrafanaError,
    GrafanaRequestError,
    GrafanaUnreachable,
    grafana_errors,
)
from dashboards.grafana.push import DEFAULT_DASHBOARDS, FOLDER_TITLE, FOLDER_UID, load_dashboards
from dashboards.influxql import DATASOURCE_UID
from entrypoints.cli import main

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


# The data sources a push checks first, against a fake grafana-client (no socket).


class FakeGrafana:
    """A stand-in for ``grafana_client.GrafanaApi``: the data sources it has by uid (a dict
    answer, or an exception to raise), one folder, and every call in ``asked``."""

    url = "http://grafana.example:3000"

    def __init__(self, datasources: dict[str, Any]) -> None:
        self.datasources = datasources
        self.asked: list[str] = []
        self.datasource = self.folder = self.dashboard = self

    def get_datasource_by_uid(self, uid: str) -> Any:
        self.asked.append(f"GET /api/datasources/uid/{uid}")
        answer = self.datasources.get(uid)
        if answer is None:
            raise client.GrafanaClientError(404, {"message": "Data source not found"}, "")
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def get_all_folders(self) -> list[dict[str, str]]:
        self.asked.append("GET /api/folders")
        return [{"uid": FOLDER_UID, "title": FOLDER_TITLE}]

    def update_dashboard(self, body: dict[str, Any]) -> dict[str, str]:
        self.asked.append(f"POST /api/dashboards/db {body['dashboard']['uid']}")
        return {"url": f"/d/{body['dashboard']['uid']}/x"}


FORBIDDEN = client.GrafanaClientError(403, {"message": "You'll need additional permissions"}, "")
"""What Grafana answers a token whose role may not read data sources (any but Admin)."""
INFLUXQL_SOURCE = {"uid": DATASOURCE_UID, "type": "influxdb", "jsonData": {"dbName": "lugang"}}
MISSING = (
    "Grafana at http://grafana.example:3000 has no data source with uid 'lugang-influxdb', "
    "which the dashboards query: create it (type influxdb, query language InfluxQL, uid "
    "lugang-influxdb, database lugang, a read-only InfluxDB user), e.g. by provisioning "
    "dashboards/provisioning/datasources/lugang.yaml, then push again"
)


def test_the_datasources_a_push_checks_are_those_the_dashboards_query() -> None:
    assert datasource_uids(load_dashboards(DEFAULT_DASHBOARDS)) == [DATASOURCE_UID]
    panel = {
        "datasource": {"type": "datasource", "uid": "-- Grafana --"},
        "targets": [
            {"datasource": {"uid": "${source}"}},
            {"datasource": {"type": "__expr__", "uid": "__expr__"}},
            {"datasource": {"type": "prometheus", "uid": "site-prometheus"}},
            {"datasource": "a data source named in Grafana 7's way"},
        ],
    }
    assert datasource_uids([{"uid": "d", "panels": [panel]}]) == ["site-prometheus"]


def test_a_present_influxql_datasource_passes() -> None:
    grafana = FakeGrafana({DATASOURCE_UID: INFLUXQL_SOURCE})
    assert check_datasources(grafana, [DATASOURCE_UID]) is True
    explicit = {**INFLUXQL_SOURCE, "jsonData": {"version": "InfluxQL"}}  # absent: InfluxQL
    assert check_datasources(FakeGrafana({DATASOURCE_UID: explicit}), [DATASOURCE_UID]) is True


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (None, MISSING),
        (
            {**INFLUXQL_SOURCE, "type": "prometheus"},
            "Grafana's data source 'lugang-influxdb' at http://grafana.example:3000 is of type "
            "'prometheus', not influxdb: the dashboards query it as type influxdb, query "
            "language InfluxQL, uid lugang-influxdb, database lugang, a read-only InfluxDB "
            "user; change it, then push again",
        ),
        (
            {**INFLUXQL_SOURCE, "jsonData": {"version": "Flux"}},
            "Grafana's data source 'lugang-influxdb' at http://grafana.example:3000 is set "
            "to query Flux, not InfluxQL: the dashboards query it as type influxdb",
        ),
    ],
)
def test_a_missing_or_other_datasource_is_one_line_saying_what_to_create(
    answer: dict[str, Any] | None, says: str
) -> None:
    grafana = FakeGrafana({DATASOURCE_UID: answer} if answer else {})
    with pytest.raises(DataSourceMissing) as failure:
        check_datasources(grafana, [DATASOURCE_UID])
    assert str(failure.value).startswith(says)
    assert "\n" not in str(failure.value)


def test_another_missing_datasource_is_named() -> None:
    with pytest.raises(DataSourceMissing, match=r"uid 'site-prometheus', which the dash"):
        check_datasources(FakeGrafana({}), ["site-prometheus"])


def test_a_token_that_may_not_read_datasources_leaves_them_unchecked() -> None:
    """Grafana lets only the Admin role read data sources; an Editor's token (all a push
    needs) gets 403, and the check gives up instead of failing the push."""
    grafana = FakeGrafana({DATASOURCE_UID: FORBIDDEN, "other": FORBIDDEN})
    assert check_datasources(grafana, [DATASOURCE_UID, "other"]) is False
    assert grafana.asked == [f"GET /api/datasources/uid/{DATASOURCE_UID}"]  # asked once


def test_a_refused_token_is_still_the_tokens_line() -> None:
    grafana = FakeGrafana({DATASOURCE_UID: client.GrafanaUnauthorizedError({"message": "no"})})
    with pytest.raises(GrafanaAuthError, match="when asked to describe the data source"):
        check_datasources(grafana, [DATASOURCE_UID])


def _push(
    monkeypatch: pytest.MonkeyPatch, grafana: FakeGrafana, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``lugang grafana push`` of the project's dashboards into ``grafana``."""
    monkeypatch.setattr(commands, "connect_versioned", lambda url, token: (grafana, "11.6.5"))
    status = main(["grafana", "push", "--url", grafana.url])
    out, err = capsys.readouterr()
    return status, out, err


def test_push_stops_before_sending_anything_when_the_datasource_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    grafana = FakeGrafana({})
    assert _push(monkeypatch, grafana, capsys) == (1, "", f"lugang grafana: {MISSING}\n")
    assert grafana.asked == [f"GET /api/datasources/uid/{DATASOURCE_UID}"]


def test_push_checks_the_datasource_then_pushes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    grafana = FakeGrafana({DATASOURCE_UID: INFLUXQL_SOURCE})
    status, out, err = _push(monkeypatch, grafana, capsys)
    assert (status, err) == (0, "")
    assert out.startswith("pushed 4 dashboards to Grafana 11.6.5 at http://grafana.example")
    assert grafana.asked[:2] == [f"GET /api/datasources/uid/{DATASOURCE_UID}", "GET /api/folders"]


def test_push_with_an_editors_token_says_the_datasource_was_not_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _push(monkeypatch, FakeGrafana({DATASOURCE_UID: FORBIDDEN}), capsys)
    assert status == 0 and out.startswith("pushed 4 dashboards")
    assert err == (
        "lugang grafana push: data source lugang-influxdb not checked: reading data sources "
        "takes the Admin role, which this token's service account lacks\n"
    )
