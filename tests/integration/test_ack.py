"""``lugang ack`` end to end on the real Kafka, InfluxDB and Alertmanager (issue 13): a
replayed hour leaves one reefer's HIGH exception open and closes another's; acknowledging
the open one makes one Alertmanager silence (matchers ``exception_id`` and ``lugang``) that
silences its page, a second ``lugang ack`` makes none, ``lugang ack --list`` shows it, and a
bad id and the closed exception are one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from entrypoints.cli import main
from lugang.reference import default_reference
from producers.records import Record, write_recording
from streams.sinks.silences import AlertmanagerSilences
from tests.integration.test_stream import replay
from tests.integration.workers import WorkerConfig, influx_rows, running_worker, wait_for

OPEN, CLOSED = "MSKU9070323", "CAIU2000022"


def reefer_hour(now: datetime) -> list[Record]:
    """Two citrus reefers loaded 2 h ago: OPEN out of band for the last 90 min (its HIGH
    exception stays open), CLOSED out of band from 90 to 50 min ago and in band since (its
    exception closed 10 min of hysteresis later, judged 10 min of lateness after that)."""
    start = now - timedelta(minutes=90)
    records = []
    for container in (OPEN, CLOSED):
        load = {
            "event_id": f"ack-load-{container}", "event_type": "LOAD",
            "equipment_reference": container, "iso_equipment_code": "45R1",
            "empty_indicator": "LADEN", "train_id": "ACK1", "corridor": "HHW-QZH",
            "direction": "OUTBOUND", "location": "HHW",
            "event_time": (now - timedelta(hours=2)).isoformat(), "commodity": "citrus",
        }  # fmt: skip
        records.append(Record.of_json("containers", container, load, 0))
    for minute in range(91):
        at = start + timedelta(minutes=minute)
        for container in (OPEN, CLOSED):
            out_of_band = container == OPEN or minute <= 40
            value = {
                "event_id": f"ack-{container}-{minute}", "equipment_reference": container,
                "reading_time": at.isoformat(), "setpoint_c": 6.0,
                "supply_air_c": 20.0 if out_of_band else 6.2, "power_on": True,
            }  # fmt: skip
            records.append(Record.of_json("reefer", container, value, int(at.timestamp() * 1000)))
    return records


def alerts_of(alertmanager_url: str, exception_id: str, app: str) -> list[dict[str, Any]]:
    """Alertmanager's alerts of ``exception_id`` from ``app``, silenced or not."""
    matchers = [f'exception_id="{exception_id}"', f'lugang="{app}"']
    response = requests.get(
        f"{alertmanager_url}/api/v2/alerts", params={"filter": matchers}, timeout=10
    )
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return alerts


def test_ack_silences_the_page_of_an_open_exception_once(
    pipeline: WorkerConfig,
    alertmanager_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    recording = tmp_path / "reefers.jsonl"
    with recording.open("wb") as out:
        write_recording(reefer_hour(now), out)
    app = f"{pipeline.prefix}app"
    today = default_reference().home.today(now).isoformat()
    silences = AlertmanagerSilences(alertmanager_url, "start it")

    def exceptions(status: str, container: str) -> list[str]:
        rows = influx_rows(
            pipeline.influx_url,
            pipeline.influx_bucket,
            "SELECT * FROM coldchain_exception GROUP BY *",
        )
        return [
            r["exception_id"]
            for r in rows
            if r["status"] == status and r["equipment_reference"] == container
        ]

    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, recording)
        (closed_id,) = wait_for(lambda: exceptions("CLOSED", CLOSED), 90, "the closed exception")

        def open_high() -> list[str]:
            listed = worker.status(today)["open_exceptions"]
            return [
                e["exception_id"]
                for e in listed
                if e["equipment_reference"] == OPEN and e["kind"] == "HIGH"
            ]

        (open_id,) = wait_for(open_high, 90, "the open exception at /status")
        wait_for(lambda: alerts_of(alertmanager_url, open_id, app), 60, "its page at Alertmanager")

        def ack(*argv: str) -> int:
            urls = ["--alertmanager-url", alertmanager_url, "--worker-url", worker.url]
            return main(["ack", *argv, "--app-id", app, *urls])

        capsys.readouterr()
        assert ack(open_id, "--by", "it-test", "--comment", "on it", "--for", "2h") == 0
        line = capsys.readouterr().out
        assert line.startswith(f"acknowledged {open_id}: silence ")
        assert line.endswith(" UTC, by it-test\n")
        silence_id = line.split("silence ", 1)[1].split()[0]
        try:
            assert_the_silence(silences, silence_id, open_id, app)

            def silenced() -> list[dict[str, Any]]:
                return [
                    a
                    for a in alerts_of(alertmanager_url, open_id, app)
                    if silence_id in a["status"]["silencedBy"]
                ]

            (alert,) = wait_for(silenced, 30, "the page silenced")
            assert alert["status"]["state"] == "suppressed"

            # Again: the acknowledgement in force, no second silence.
            assert ack(open_id, "--by", "someone-else") == 0
            assert capsys.readouterr().out.startswith(
                f"{open_id} was already acknowledged by it-test since "
            )
            mine = [s for s in silences.all() if s["status"]["state"] == "active"]
            mine = [s for s in mine if {"name": "lugang", "value": app} in _names(s)]
            assert [s["id"] for s in mine] == [silence_id]

            assert ack("--list", "--json") == 0
            (listed,) = json.loads(capsys.readouterr().out)
            assert (listed["exception_id"], listed["by"], listed["comment"]) == (
                open_id,
                "it-test",
                "on it",
            )
            assert ack("--list") == 0
            table = capsys.readouterr().out.splitlines()
            assert table[0].split() == ["EXCEPTION", "BY", "SINCE", "UNTIL", "COMMENT"]
            assert table[1].startswith(f"{open_id}  it-test  ")

            assert_one_line_errors(ack, open_id, closed_id, capsys)
        finally:
            silences.expire(silence_id)
        assert ack("--list") == 0
        assert capsys.readouterr().out == f"no acknowledged exceptions of pipeline {app}\n"


def _names(silence: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": m["name"], "value": m["value"]} for m in silence["matchers"]]


def assert_the_silence(
    silences: AlertmanagerSilences, silence_id: str, exception_id: str, app: str
) -> None:
    """The silence is active, by it-test, with the comment, for 2 h, matching exactly the
    exception's id and the pipeline."""
    (silence,) = [s for s in silences.all() if s["id"] == silence_id]
    assert silence["status"]["state"] == "active"
    assert silence["createdBy"] == "it-test"
    assert silence["comment"] == "lugang ack: on it"
    assert sorted((m["name"], m["value"], m["isEqual"]) for m in silence["matchers"]) == [
        ("exception_id", exception_id, True),
        ("lugang", app, True),
    ]
    length = datetime.fromisoformat(silence["endsAt"]) - datetime.fromisoformat(silence["startsAt"])
    assert timedelta(hours=2) - timedelta(seconds=5) <= length <= timedelta(hours=2)


def assert_one_line_errors(
    ack: Callable[..., int], open_id: str, closed_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad id and the closed exception are one line each, exit status 1."""
    assert ack(open_id.replace(":HIGH:", ":HOT:"), "--by", "it-test") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is not an exception id (kind 'HOT' is not one of" in err
    assert ack(closed_id, "--by", "it-test") == 1
    err = capsys.readouterr().err
    assert err == (
        f"lugang ack: exception {closed_id} is not open at the worker (closed already, "
        "or never opened): nothing to acknowledge; 'lugang report' lists the open ones\n"
    )
