"""``lugang ack``: the exception id and duration it accepts, the silence it asks Alertmanager
for, the acknowledgements it reads back, and each failure as one line (no sockets: a fake
Alertmanager implements the ``Silences`` Protocol; the HTTP client and the worker's
``/status`` run on a patched ``requests``)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from entrypoints.cli import ack as ack_cli
from entrypoints.cli import main
from entrypoints.cli.common import CommandError, duration
from lugang.contract import parse_exception_id
from streams.schema.silences import ACK_PREFIX, LONGEST_ACK, acknowledgement, silence_body
from streams.sinks.silences import (
    AlertmanagerRefused,
    AlertmanagerSilences,
    AlertmanagerUnreachable,
)
from tests.http_fakes import Answer, answering

EXC = "MSKU9070323:HIGH:2026-03-15T00:05:00+00:00"
OTHER = "MSKU9070323:LOW:2026-03-15T03:00:00+00:00"
NOW = datetime(2026, 3, 15, 2, 0, tzinfo=UTC)
AM = "http://am.example:9093"
WORKER = "http://worker.example:6066"
Capture = pytest.CaptureFixture[str]


class FakeAlertmanager:
    """Alertmanager's silences in memory, answering as its v2 API does."""

    def __init__(self, url: str = AM) -> None:
        self.url = url
        self.silences: list[dict[str, Any]] = []

    def create(self, body: Any) -> str:
        silence_id = f"s{len(self.silences) + 1}"
        self.silences.append({**body, "id": silence_id, "status": {"state": "active"}})
        return silence_id

    def all(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.silences]

    def expire(self, silence_id: str) -> None:
        for silence in self.silences:
            if silence["id"] == silence_id:
                silence["status"] = {"state": "expired"}


# The exception id


def test_an_exception_id_parses_into_container_kind_and_start() -> None:
    assert parse_exception_id(EXC) == (
        "MSKU9070323",
        "HIGH",
        datetime(2026, 3, 15, 0, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("MSKU9070323", "no kind and start after 'MSKU9070323'"),
        ("MSKU9070324:HIGH:2026-03-15T00:05:00+00:00", "check digit should be 3, not 4"),
        ("MSKU9070323:HOT:2026-03-15T00:05:00+00:00", "kind 'HOT' is not one of HIGH, LOW"),
        ("MSKU9070323:HIGH:yesterday", "start 'yesterday' is not an RFC 3339 time"),
        ("MSKU9070323:HIGH:2026-03-15T00:05:00", "has no UTC offset"),
        ("MSKU9070323:HIGH:2026-03-15T08:05:00+08:00", f"is written {EXC}"),
        ("msku9070323:HIGH:2026-03-15T00:05:00+00:00", f"is written {EXC}"),
    ],
)
def test_a_bad_exception_id_says_which_part_is_wrong(text: str, says: str) -> None:
    """Only the id the worker writes passes: another spelling of it would silence nothing."""
    with pytest.raises(ValueError) as refused:
        parse_exception_id(text)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


# --for


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1w2d", timedelta(days=9)),
        ("90s", timedelta(seconds=90)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations_parse(text: str, length: timedelta) -> None:
    assert duration(text) == length


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is not a duration"),
        ("2", "is not a duration"),
        ("1.5h", "is not a duration"),
        ("30m2h", "is not a duration"),
        ("-1h", "is not a duration"),
        ("0h", "0h is not above 0"),
    ],
)
def test_bad_durations_are_refused(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        duration(text)


def test_a_bad_for_is_a_usage_error(capsys: Capture) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["ack", EXC, "--by", "li", "--for", "soon"])
    assert stopped.value.code == 2
    assert "argument --for: 'soon' is not a duration such as 30m" in capsys.readouterr().err


# The silence


def test_the_silence_matches_the_exception_of_its_pipeline_only() -> None:
    """Two labels, both exact: the exception's id and the pipeline's app id."""
    body = silence_body(
        EXC, "lugang", " Li Wei ", "genset refuelled", NOW, NOW + timedelta(hours=2)
    )
    assert body == {
        "matchers": [
            {"name": "exception_id", "value": EXC, "isRegex": False, "isEqual": True},
            {"name": "lugang", "value": "lugang", "isRegex": False, "isEqual": True},
        ],
        "startsAt": "2026-03-15T02:00:00+00:00",
        "endsAt": "2026-03-15T04:00:00+00:00",
        "createdBy": "Li Wei",
        "comment": "lugang ack: genset refuelled",
    }
    assert silence_body(EXC, "p", "li", "", NOW, NOW + LONGEST_ACK)["comment"] == ACK_PREFIX


@pytest.mark.parametrize(
    ("by", "until", "says"),
    [(" ", NOW + timedelta(hours=1), "who made it"), ("li", NOW, "end after it starts")],
)
def test_a_silence_needs_a_name_and_an_end_after_its_start(
    by: str, until: datetime, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        silence_body(EXC, "lugang", by, "", NOW, until)


def test_an_acknowledgement_reads_back_from_its_silence() -> None:
    body = silence_body(EXC, "lugang", "li", "on it", NOW, NOW + timedelta(hours=2))
    silence = {**body, "id": "abc", "status": {"state": "active"}, "endsAt": "2026-03-15T04:00Z"}
    ack = acknowledgement(silence)
    assert ack is not None
    assert (ack.silence_id, ack.exception_id, ack.pipeline, ack.by, ack.comment) == (
        "abc",
        EXC,
        "lugang",
        "li",
        "on it",
    )
    assert (ack.since, ack.until) == (NOW, NOW + timedelta(hours=2))


def _silence(**changes: Any) -> dict[str, Any]:
    body = silence_body(EXC, "lugang", "li", "", NOW, NOW + timedelta(hours=2))
    return {**body, "id": "abc", "status": {"state": "active"}, **changes}


@pytest.mark.parametrize(
    "silence",
    [
        _silence(comment="maintenance window"),
        _silence(status={"state": "expired"}),
        _silence(status={"state": "pending"}),
        _silence(matchers=[{"name": "exception_id", "value": "MSKU.*", "isRegex": True}]),
        _silence(matchers=[{"name": "exception_id", "value": EXC, "isRegex": False}]),
        _silence(endsAt="soon"),
    ],
    ids=["by-hand", "expired", "pending", "regex", "no-pipeline", "bad-time"],
)
def test_other_silences_are_no_acknowledgements(silence: dict[str, Any]) -> None:
    assert acknowledgement(silence) is None


# Acknowledging


def test_acknowledging_creates_one_silence_until_the_exception_closes() -> None:
    """Without --for the silence lasts the longest an acknowledgement may; the worker ends
    it when the exception closes."""
    alertmanager = FakeAlertmanager()
    ack, new = ack_cli.acknowledge(alertmanager, EXC, "lugang", "li", "on it", None, {EXC}, NOW)
    assert new
    assert (ack.silence_id, ack.until, ack.by, ack.comment) == (
        "s1",
        NOW + LONGEST_ACK,
        "li",
        "on it",
    )
    assert [acknowledgement(s) for s in alertmanager.silences] == [ack]


def test_a_second_ack_shows_the_first_and_makes_no_silence() -> None:
    alertmanager = FakeAlertmanager()
    first, _ = ack_cli.acknowledge(
        alertmanager, EXC, "lugang", "li", "", timedelta(hours=2), {EXC}, NOW
    )
    later = NOW + timedelta(minutes=5)
    again, new = ack_cli.acknowledge(alertmanager, EXC, "lugang", "wang", "", None, {EXC}, later)
    assert (again, new) == (first, False)
    assert len(alertmanager.silences) == 1
    assert ack_cli.ack_line(again, new) == (
        f"{EXC} was already acknowledged by li since 2026-03-15 02:00 UTC: silence s1 until "
        "2026-03-15 04:00 UTC"
    )


def test_another_pipelines_acknowledgement_does_not_count() -> None:
    """Two pipelines with one Alertmanager never silence each other's pages."""
    alertmanager = FakeAlertmanager()
    ack_cli.acknowledge(alertmanager, EXC, "test-a", "li", "", None, {EXC}, NOW)
    ack, new = ack_cli.acknowledge(alertmanager, EXC, "test-b", "li", "", None, {EXC}, NOW)
    assert new
    assert ack.pipeline == "test-b"
    assert [a.pipeline for a in ack_cli.current(alertmanager, "test-b")] == ["test-b"]


def test_an_exception_not_open_is_not_acknowledged() -> None:
    alertmanager = FakeAlertmanager()
    with pytest.raises(CommandError, match=re.escape(f"exception {EXC} is not open")):
        ack_cli.acknowledge(alertmanager, EXC, "lugang", "li", "", None, {OTHER}, NOW)
    assert alertmanager.silences == []


# The command


@pytest.fixture
def alertmanager(monkeypatch: pytest.MonkeyPatch) -> FakeAlertmanager:
    fake = FakeAlertmanager()
    monkeypatch.setattr(ack_cli, "AlertmanagerSilences", lambda url, fix: fake)
    return fake


def worker_has_open(monkeypatch: pytest.MonkeyPatch, *ids: str) -> None:
    """The worker's ``/status`` lists ``ids`` as open exceptions."""

    def get(url: str, **options: Any) -> Answer:
        assert url == f"{WORKER}/status"
        return Answer(200, {"open_exceptions": [{"exception_id": i} for i in ids]})

    monkeypatch.setattr(requests, "get", get)


def ack(*argv: str) -> int:
    return main(["ack", *argv, "--alertmanager-url", AM, "--worker-url", WORKER])


def _one_line(capsys: Capture) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


def test_ack_prints_the_silence_until_when_and_by_whom(
    monkeypatch: pytest.MonkeyPatch, alertmanager: FakeAlertmanager, capsys: Capture
) -> None:
    worker_has_open(monkeypatch, EXC, OTHER)
    assert ack(EXC, "--by", "li", "--comment", "genset refuelled", "--for", "2h") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"acknowledged {EXC}: silence s1 until ")
    assert out.endswith(" UTC, by li\n")
    (silence,) = alertmanager.silences
    assert silence["comment"] == "lugang ack: genset refuelled"
    assert silence["matchers"][1]["value"] == "lugang"  # --app-id's default: LUGANG_APP_ID's
    length = datetime.fromisoformat(silence["endsAt"]) - datetime.fromisoformat(silence["startsAt"])
    assert length == timedelta(hours=2)


def test_ack_twice_makes_one_silence(
    monkeypatch: pytest.MonkeyPatch, alertmanager: FakeAlertmanager, capsys: Capture
) -> None:
    worker_has_open(monkeypatch, EXC)
    assert ack(EXC, "--by", "li") == 0
    assert ack(EXC, "--by", "wang", "--app-id", "lugang") == 0
    second = capsys.readouterr().out.splitlines()[1]
    assert second.startswith(f"{EXC} was already acknowledged by li since ")
    assert len(alertmanager.silences) == 1


def test_a_bad_id_is_one_line_before_any_request(
    alertmanager: FakeAlertmanager, capsys: Capture
) -> None:
    assert ack("MSKU9070323:HOT:2026-03-15T00:05:00+00:00", "--by", "li") == 1
    assert _one_line(capsys) == (
        "lugang ack: 'MSKU9070323:HOT:2026-03-15T00:05:00+00:00' is not an exception id "
        "(kind 'HOT' is not one of HIGH, LOW, CUMULATIVE, POWER_OFF, TELEMETRY_GAP, "
        "SETPOINT_MISMATCH); ids are CONTAINER:KIND:START, e.g. "
        "MSKU9070323:HIGH:2026-03-15T00:05:00+00:00"
    )


def test_a_closed_exception_is_one_line(
    monkeypatch: pytest.MonkeyPatch, alertmanager: FakeAlertmanager, capsys: Capture
) -> None:
    worker_has_open(monkeypatch, OTHER)
    assert ack(EXC, "--by", "li") == 1
    assert _one_line(capsys).startswith(
        f"lugang ack: exception {EXC} is not open at the worker (closed already, or never opened)"
    )
    assert alertmanager.silences == []


def test_no_alertmanager_is_one_line(capsys: Capture) -> None:
    assert main(["ack", EXC, "--by", "li", "--alertmanager-url", ""]) == 1
    assert _one_line(capsys) == (
        "lugang ack: no Alertmanager to silence pages in: set --alertmanager-url or "
        "LUGANG_ALERTMANAGER_URL (e.g. http://127.0.0.1:9093)"
    )


def test_alertmanager_down_is_one_line_naming_its_url(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    worker_has_open(monkeypatch, EXC)

    def refused(*args: Any, **kwargs: Any) -> None:
        raise requests.ConnectionError("Max retries exceeded") from ConnectionRefusedError(111)

    monkeypatch.setattr(requests, "request", refused)
    assert ack(EXC, "--by", "li") == 1
    assert _one_line(capsys) == (
        f"lugang ack: cannot reach Alertmanager at {AM} (connection refused); start it or set "
        "--alertmanager-url or LUGANG_ALERTMANAGER_URL"
    )


def test_a_worker_down_is_one_line_naming_the_option(
    monkeypatch: pytest.MonkeyPatch, alertmanager: FakeAlertmanager, capsys: Capture
) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise requests.ConnectionError("[Errno 111] Connection refused")

    monkeypatch.setattr(requests, "get", refused)
    assert ack(EXC, "--by", "li") == 1
    assert _one_line(capsys) == (
        f"lugang ack: cannot reach the worker at {WORKER} (connection refused); start one "
        "(lugang worker) or set --worker-url"
    )


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([EXC], "the following arguments are required: --by"),
        ([], "give one EXCEPTION_ID to acknowledge, or --list"),
        ([EXC, "--list"], "give one EXCEPTION_ID to acknowledge, or --list"),
    ],
)
def test_an_id_or_list_is_a_usage_error(argv: list[str], says: str, capsys: Capture) -> None:
    with pytest.raises(SystemExit) as stopped:
        ack(*argv)
    assert stopped.value.code == 2
    assert says in capsys.readouterr().err


def test_list_shows_the_acknowledgements_of_the_pipeline(
    alertmanager: FakeAlertmanager, capsys: Capture
) -> None:
    ack_cli.acknowledge(alertmanager, EXC, "lugang", "li", "on it", None, {EXC}, NOW)
    ack_cli.acknowledge(
        alertmanager, OTHER, "lugang", "Wang Fang", "", timedelta(hours=1), {OTHER}, NOW
    )
    ack_cli.acknowledge(alertmanager, EXC, "elsewhere", "zhao", "", None, {EXC}, NOW)
    alertmanager.silences.append({"id": "x", "comment": "by hand", "status": {"state": "active"}})
    assert ack("--list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "EXCEPTION                                   BY         SINCE                 "
        "UNTIL                 COMMENT",
        f"{EXC}  li         2026-03-15 02:00 UTC  2026-03-22 02:00 UTC  on it",
        f"{OTHER}   Wang Fang  2026-03-15 02:00 UTC  2026-03-15 03:00 UTC",
    ]
    assert ack("--list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["exception_id"], a["by"], a["silence_id"]) for a in listed] == [
        (EXC, "li", "s1"),
        (OTHER, "Wang Fang", "s2"),
    ]
    assert listed[0]["until"] == "2026-03-22T02:00:00+00:00"


def test_list_says_when_there_is_none(alertmanager: FakeAlertmanager, capsys: Capture) -> None:
    assert ack("--list") == 0
    assert capsys.readouterr().out == "no acknowledged exceptions of pipeline lugang\n"
    assert ack("--list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


# The HTTP client


def test_the_client_posts_lists_and_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    client = AlertmanagerSilences(f"{AM}/", "start it")
    calls = answering(monkeypatch, Answer(200, {"silenceID": "abc"}))
    assert client.create({"comment": "c"}) == "abc"
    assert calls == [("POST", f"{AM}/api/v2/silences", {"json": {"comment": "c"}, "timeout": 10.0})]
    calls = answering(monkeypatch, Answer(200, [{"id": "abc"}]))
    assert client.all() == [{"id": "abc"}]
    assert calls[0][:2] == ("GET", f"{AM}/api/v2/silences")
    calls = answering(monkeypatch, Answer(200))
    client.expire("a/b")
    assert calls[0][:2] == ("DELETE", f"{AM}/api/v2/silence/a%2Fb")


@pytest.mark.parametrize(
    ("answer", "error", "says"),
    [
        (
            requests.ReadTimeout("read"),
            AlertmanagerUnreachable,
            "cannot reach Alertmanager at http://am.example:9093 (no answer within 10 s); fix it",
        ),
        (
            Answer(400, "bad matchers"),
            AlertmanagerRefused,
            'Alertmanager at http://am.example:9093 refused to create a silence: HTTP 400: "bad',
        ),
        (
            Answer(200, ["not", "an", "id"]),
            AlertmanagerRefused,
            "http://am.example:9093/api/v2/silences did not answer like Alertmanager's v2 API",
        ),
    ],
    ids=["timeout", "refused", "not-alertmanager"],
)
def test_client_failures_are_one_line_naming_the_url(
    monkeypatch: pytest.MonkeyPatch, answer: Answer | Exception, error: type[Exception], says: str
) -> None:
    answering(monkeypatch, answer)
    with pytest.raises(error) as failed:
        AlertmanagerSilences("http://user:pw@am.example:9093", "fix it").create({})
    assert says in str(failed.value)
    assert "pw" not in str(failed.value)
    assert "\n" not in str(failed.value)
