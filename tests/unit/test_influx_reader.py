"""The InfluxQL reader (dashboards/influx_reader.py) on canned answers: parsing, the token
header, and each failure as one line without the password."""

from __future__ import annotations

import pytest
import requests

from dashboards import influx_reader
from dashboards.influx_reader import InfluxRefused, InfluxUnreachable
from tests.http_fakes import Answer, answering

URL = "http://admin:secret@influx.example:8086"


def test_each_statement_gets_its_series_and_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    body = {
        "results": [
            {"statement_id": 1},
            {
                "statement_id": 0,
                "series": [
                    {"name": "m", "tags": {"k": "a"}, "columns": ["time", "v"], "values": [[1, 2]]},
                    {"name": "m", "tags": {"k": "b"}, "columns": ["time", "v"], "values": [[3, 4]]},
                ],
            },
        ]
    }
    calls = answering(monkeypatch, Answer(200, body))
    first, second = influx_reader.query(
        URL, "db", ["SELECT v FROM m GROUP BY k", "SELECT w FROM n"], token="u:p", epoch="s"
    )
    assert influx_reader.rows(first) == [
        {"k": "a", "time": 1, "v": 2},
        {"k": "b", "time": 3, "v": 4},
    ]
    assert second == []
    ((method, url, options),) = calls
    assert (method, url) == ("GET", f"{URL}/query")
    assert options["params"] == {
        "q": "SELECT v FROM m GROUP BY k;SELECT w FROM n",
        "db": "db",
        "epoch": "s",
    }
    assert options["headers"] == {"Authorization": "Token u:p"}


@pytest.mark.parametrize(
    ("answer", "expected", "says"),
    [
        (
            requests.ConnectionError("... [Errno 111] Connection refused'"),
            InfluxUnreachable,
            "cannot reach InfluxDB at http://influx.example:8086 (connection refused);",
        ),
        (
            requests.ReadTimeout("read"),
            InfluxUnreachable,
            "(no answer within 30 s); start it or set --influx-url or LUGANG_INFLUX_URL",
        ),
        (
            Answer(200, {"results": [{"statement_id": 0, "error": "database not found: x"}]}),
            InfluxRefused,
            "refused to read database 'db' (200 database not found: x): check",
        ),
        (
            Answer(401, {"error": "authorization failed"}),
            InfluxRefused,
            "(401 authorization failed): check LUGANG_INFLUX_BUCKET and LUGANG_INFLUX_TOKEN",
        ),
        (
            Answer(404, ValueError("not JSON")),
            InfluxRefused,
            "answered 404 without JSON to an InfluxQL query: is that InfluxDB's base URL?",
        ),
    ],
)
def test_each_failure_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
    answer: Answer | Exception,
    expected: type[Exception],
    says: str,
) -> None:
    answering(monkeypatch, answer)
    with pytest.raises(expected) as failure:
        influx_reader.query(URL, "db", "SELECT v FROM m")
    message = str(failure.value)
    assert says in message
    assert "\n" not in message and "secret" not in message
