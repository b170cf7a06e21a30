"""``lugang trace``: a container's journey from fake InfluxDB answers (``requests`` patched,
no sockets) and a fake Alertmanager: the trip split by the watch rule, gaps, power-off, the
acknowledgement join, the JSON shape, the text and the HTML page, and one-line failures."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from dashboards.trace.data import (
    build_trace,
    exceptions_of,
    moves_of,
    readings_of,
    train_statements,
    trains_of,
)
from dashboards.trace.model import Move, Reading, Trace
from dashboards.trace.page import render_html
from dashboards.trace.text import render_text
from dashboards.trace.trips import Segment, gaps, leave_times, power_off, split_trips, trip
from entrypoints.cli import main
from entrypoints.cli.ack import current
from lugang.contract import exception_id
from lugang.reference import DEFAULT_ACTIVATION_ENERGY_KJ_MOL, default_reference
from streams.domain.mkt import weighted_mkt_c
from streams.schema.silences import silence_body
from tests.http_fakes import Answer

BOX = "MSKU9070323"
INFLUX = "http://influx.example:8086"
AM = "http://am.example:9093"
T0 = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)
DEPARTED = T0 + timedelta(hours=6)
ARRIVED = DEPARTED + timedelta(hours=24)
DISCHARGED = ARRIVED + timedelta(hours=1)
HIGH_ID = exception_id(BOX, "HIGH", T0 + timedelta(hours=4))
CUMULATIVE_ID = exception_id(BOX, "CUMULATIVE", T0 + timedelta(hours=4, minutes=30))
REFERENCE = default_reference()
TZ = REFERENCE.home.tz
Capture = pytest.CaptureFixture[str]


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def series(
    name: str, tags: dict[str, str], columns: list[str], *values: list[Any]
) -> dict[str, Any]:
    return {"name": name, "tags": tags, "columns": ["time", *columns], "values": list(values)}


def result(*found: dict[str, Any]) -> dict[str, Any]:
    return {"series": list(found)} if found else {}


TRANSIT_FIELDS = ["hours", "benchmark_h", "within_benchmark"]


def influx_answer(*results: dict[str, Any]) -> dict[str, Any]:
    """InfluxDB's JSON for one request of these statements' results."""
    return {"results": [{"statement_id": i, **r} for i, r in enumerate(results)]}


MOVE_FIELDS = ["event_id", "train_id", "corridor", "commodity", "gross_weight_kg"]


def move(kind: str, direction: str, at: str, when: datetime, train: str | None) -> dict[str, Any]:
    tags = {"event_type": kind, "direction": direction, "location": at}
    values = [ms(when), f"e-{kind}", train, "HHW-QZH", "citrus", 24_000.0]
    return series("container_move", tags, MOVE_FIELDS, values)


def reading_rows() -> list[list[Any]]:
    """Every 10 min from 00:10 to 06:50 the next day, but none from 02:10 to 02:40 (a 50-min
    gap); power off at 03:00 and 03:10; 10 °C (above citrus's 3–9 °C) from 04:00 to 04:20."""
    rows = []
    when = T0 + timedelta(minutes=10)
    while when < DISCHARGED:
        minutes = (when - T0) // timedelta(minutes=1)
        if not 130 <= minutes <= 160:
            power = 0 if minutes in (180, 190) else 1
            supply = 10.0 if 240 <= minutes <= 260 else 5.0
            rows.append([ms(when), supply, supply + 1.5, 6.0, power, 3.0, 9.0])
        when += timedelta(minutes=10)
    return rows


READING_FIELDS = ["supply_air_c", "return_air_c", "setpoint_c", "power_on"]
READING_FIELDS += ["band_low_c", "band_high_c"]
EXCEPTION_FIELDS = ["open", "status", "peak_deviation_c", "ended_at_ms", "duration_s"]
ACK_FIELDS = ["by", "comment", "since_ms", "until_ms", "active"]


def box_answer() -> dict[str, Any]:
    moves = result(
        move("GTIN", "OUTBOUND", "HHW", T0, None),
        move("LOAD", "OUTBOUND", "HHW", T0 + timedelta(hours=5), "X1"),
        move("DISC", "OUTBOUND", "CNQZH", DISCHARGED, "X1"),
    )
    readings = result(
        series("reefer_reading", {"commodity": "citrus"}, READING_FIELDS, *reading_rows())
    )
    high = series(
        "coldchain_exception",
        {"kind": "HIGH", "exception_id": HIGH_ID},
        EXCEPTION_FIELDS,
        [ms(T0 + timedelta(hours=4)), 0, "CLOSED", 1.0, ms(T0 + timedelta(hours=4.5)), 1800.0],
    )
    cumulative = series(
        "coldchain_exception",
        {"kind": "CUMULATIVE", "exception_id": CUMULATIVE_ID},
        EXCEPTION_FIELDS,
        [ms(T0 + timedelta(hours=4.5)), 1, "OPEN", 1.0, None, None],
    )
    exceptions = result(high, cumulative)
    # The worker recorded an acknowledgement of the CUMULATIVE that has ended since.
    ended = [ms(T0 + timedelta(hours=4.5)), "Zhang San", "checked", ms(T0 + timedelta(hours=5))]
    ended += [ms(T0 + timedelta(hours=6)), 0]
    acks = result(series("coldchain_ack", {"exception_id": CUMULATIVE_ID}, ACK_FIELDS, ended))
    answers = (moves, readings, exceptions, acks)
    return {"results": [{"statement_id": i, **r} for i, r in enumerate(answers)]}


def trains_answer() -> dict[str, Any]:
    tags = {"corridor": "HHW-QZH", "train_id": "X1"}
    departures = result(series("train_departure", tags, ["runs"], [ms(DEPARTED), 1]))
    transit = result(
        series(
            "transit",
            tags,
            ["hours", "benchmark_h", "within_benchmark"],
            [ms(DEPARTED), 24.0, 30.0, 1],
        )
    )
    moving = result(
        series(
            "train_in_transit",
            {**tags, "direction": "OUTBOUND"},
            ["in_transit", "elapsed_h", "benchmark_h"],
            [ms(DEPARTED), 0, 24.0, 30.0],
        )
    )
    return {
        "results": [{"statement_id": i, **r} for i, r in enumerate((departures, transit, moving))]
    }


def rows_of(answer: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    for one in answer["results"]:
        yield [
            {**s["tags"], **dict(zip(s["columns"], v, strict=True))}
            for s in one.get("series", [])
            for v in s["values"]
        ]


def silence(exc_id: str, by: str, comment: str) -> dict[str, Any]:
    now = T0 + timedelta(hours=4, minutes=10)
    body = silence_body(exc_id, "lugang", by, comment, now, now + timedelta(days=1))
    return {**body, "id": "s1", "status": {"state": "active"}}


SILENCES = [silence(HIGH_ID, "Li Wei", "genset refuelled")]


class FakeSilences:
    """Alertmanager's silences: :data:`SILENCES`, read only."""

    url = AM

    def all(self) -> list[dict[str, Any]]:
        return SILENCES

    def create(self, body: Mapping[str, Any]) -> str:
        raise AssertionError("the trace creates no silence")

    def expire(self, silence_id: str) -> None:
        raise AssertionError("the trace expires no silence")


def the_trace(acks_read: bool = True) -> Trace:
    moves, readings, exceptions, _ = rows_of(box_answer())
    departures, transits, in_transit = rows_of(trains_answer())
    acks = current(FakeSilences(), "lugang")
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=3)
    return build_trace(
        BOX,
        start,
        end,
        REFERENCE,
        moves_of(moves, TZ),
        trains_of(departures, transits, in_transit, TZ),
        readings_of(readings, TZ),
        exceptions_of(exceptions, TZ, acks if acks_read else ()),
        "read" if acks_read else "no Alertmanager URL",
    )


def test_the_trips_end_at_the_outbound_trains_arrival_and_at_the_discharge() -> None:
    trips = the_trace().trips
    assert [(t.summary.start, t.summary.end) for t in trips] == [
        (T0 + timedelta(minutes=10), ARRIVED),
        (ARRIVED + timedelta(minutes=10), DISCHARGED),
    ]
    first = trips[0].summary
    # The reading at the arrival itself belongs to no trip.
    assert first.readings + trips[1].summary.readings == len(reading_rows()) - 1
    assert first.above_band_s == 1800 and first.below_band_s == 0
    assert first.largest_deviation == ("HIGH", 1.0)
    assert (first.min_c, first.max_c) == (5.0, 10.0)
    assert trips[0].commodity == "citrus"
    # 29 h 20 min at 5 °C and 30 min at 10 °C: the time-weighted MKT.
    assert first.mkt_c == pytest.approx(weighted_mkt_c([5.0, 10.0], [105_600, 1_800]))
    assert trips[0].to_json(TZ)["mkt_c"] == 5.11


def test_gaps_are_silences_longer_than_the_telemetry_gap_time() -> None:
    trace = the_trace()
    assert [(g.start, g.end, g.minutes) for g in trace.gaps] == [
        (T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=50), 50.0)
    ]


def test_power_off_lasts_until_the_next_reading_with_power_on() -> None:
    trace = the_trace()
    assert [(p.start, p.end) for p in trace.power_off] == [
        (T0 + timedelta(hours=3), T0 + timedelta(hours=3, minutes=20))
    ]


def test_the_acknowledgement_joins_its_exception_by_id() -> None:
    high, cumulative = the_trace().exceptions
    assert high.acknowledgement is not None and high.acknowledgement.by == "Li Wei"
    assert not high.open and high.end == T0 + timedelta(hours=4, minutes=30)
    assert cumulative.open and cumulative.end is None and cumulative.acknowledgement is None


def test_the_train_arrives_after_its_transit_time() -> None:
    (run,) = the_trace().trains
    assert (run.departed, run.arrived, run.within_benchmark) == (DEPARTED, ARRIVED, True)


def test_the_json_has_the_agreed_keys() -> None:
    body = json.loads(json.dumps(the_trace().to_json()))
    assert set(body) == {
        "equipment_reference", "from", "to", "moves", "trains", "readings", "gaps",
        "power_off", "exceptions", "trips", "acknowledgements",
    }  # fmt: skip
    assert set(body["moves"][0]) == {
        "time", "event_type", "location", "direction", "train_id", "corridor", "commodity",
        "gross_weight_kg", "event_id",
    }  # fmt: skip
    assert set(body["trains"][0]) == {
        "train_id", "corridor", "direction", "departed", "arrived", "transit_h", "benchmark_h",
        "within_benchmark",
    }  # fmt: skip
    assert set(body["readings"][0]) == {
        "time",
        "supply_air_c",
        "return_air_c",
        "setpoint_c",
        "power_on",
    }
    assert set(body["gaps"][0]) == set(body["power_off"][0]) == {"start", "end", "minutes"}
    high = body["exceptions"][0]
    assert set(high) == {
        "exception_id", "kind", "start", "end", "open", "peak_deviation_c", "duration_s",
        "acknowledgement",
    }  # fmt: skip
    assert set(high["acknowledgement"]) == {"by", "since", "until", "comment", "active"}
    assert set(body["trips"][0]) == {
        "start", "end", "readings", "commodity", "band_low_c", "band_high_c",
        "activation_energy_kj_mol", "in_band_s", "out_of_band_s", "above_band_s",
        "below_band_s", "largest_deviation_c", "min_c", "max_c", "mkt_c",
    }  # fmt: skip
    assert body["acknowledgements"] == "read"
    assert body["trains"][0]["arrived"] == "2026-03-16T14:00:00+08:00"  # the port's time
    assert body["exceptions"][1]["end"] is None


def test_the_text_shows_moves_trains_acks_and_the_mkt() -> None:
    text = render_text(the_trace())
    assert text.startswith(f"{BOX}: journey from ")
    assert "LOAD" in text and "X1 HHW-QZH OUTBOUND: departed 2026-03-15 14:00" in text
    assert "acknowledged by Li Wei since 2026-03-15 12:10: genset refuelled" in text
    assert "gap 2026-03-15 10:00 – 2026-03-15 10:50 (50 min)" in text
    assert re.search(r"HIGH 1\.0 °C\s+5\.0–10\.0 °C\s+5\.\d\d °C", text), text


def test_without_alertmanager_the_text_says_so() -> None:
    trace = the_trace(acks_read=False)
    assert trace.to_json()["acknowledgements"] == "no Alertmanager URL"
    assert "acknowledgements not read: no Alertmanager URL" in render_text(trace)


def test_the_page_is_self_contained_and_prints_on_a4() -> None:
    page = render_html(the_trace(), generated_at=T0)
    assert "<svg" in page and "<polyline" in page
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)\s*=|https?://|url\(", page)
    assert "@page { size: A4" in page
    assert 'class="gap"' in page and 'class="poweroff"' in page and 'class="move"' in page
    assert "Li Wei" in page and "genset refuelled" in page


def test_train_ids_are_quoted_in_influxql() -> None:
    (statement, *_) = train_statements(["X'1"], T0, T0 + timedelta(days=1))
    assert "\"train_id\" = 'X\\'1'" in statement


class FakeServers:
    """InfluxDB's /query and Alertmanager's silences in place of ``requests.request``."""

    def __init__(self, box: dict[str, Any]) -> None:
        self.box = box
        self.queries: list[str] = []

    def __call__(self, method: str, url: str, **options: Any) -> Answer:
        if url.startswith(AM):
            return Answer(200, SILENCES)
        query = options["params"]["q"]
        self.queries.append(query)
        return Answer(200, self.box if "container_move" in query else trains_answer())


def trace(*argv: str) -> int:
    return main(["trace", *argv, "--influx-url", INFLUX])


def _one_line(capsys: Capture) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


def test_the_command_prints_json(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    servers = FakeServers(box_answer())
    monkeypatch.setattr(requests, "request", servers)
    argv = ("--from", "2026-03-14", "--to", "2026-03-17", "--alertmanager-url", AM, "--json")
    assert trace(BOX.lower(), *argv) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["equipment_reference"] == BOX
    assert body["from"] == "2026-03-14T00:00:00+08:00" and body["to"] == "2026-03-18T00:00:00+08:00"
    high, cumulative = body["exceptions"]
    assert high["acknowledgement"]["by"] == "Li Wei" and high["acknowledgement"]["active"]
    # Ended (its silence expired), the acknowledgement the worker recorded in InfluxDB.
    assert cumulative["acknowledgement"] == {
        "by": "Zhang San",
        "since": "2026-03-15T13:00:00+08:00",
        "until": "2026-03-15T14:00:00+08:00",
        "comment": "checked",
        "active": False,
    }
    assert len(body["trips"]) == 2
    assert "time >= '2026-03-13T16:00:00Z' AND time < '2026-03-17T16:00:00Z'" in servers.queries[0]


def test_the_command_writes_the_page(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, tmp_path: Any
) -> None:
    monkeypatch.setattr(requests, "request", FakeServers(box_answer()))
    target = tmp_path / "trace.html"
    assert trace(BOX, "--alertmanager-url", "", "--html", str(target)) == 0
    assert capsys.readouterr().out.startswith(f"wrote the trace of {BOX} from ")
    assert "no Alertmanager URL" in target.read_text(encoding="utf-8")


def test_a_bad_container_number_is_one_line(capsys: Capture) -> None:
    assert trace("MSKU9070324") == 1
    assert "'MSKU9070324' is not a container number: " in _one_line(capsys)


def test_unreachable_influxdb_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    def refuse(method: str, url: str, **options: Any) -> Answer:
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(requests, "request", refuse)
    assert trace(BOX, "--alertmanager-url", "") == 1
    assert "InfluxDB" in _one_line(capsys)


def test_unreachable_alertmanager_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    def refuse(method: str, url: str, **options: Any) -> Answer:
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(requests, "request", refuse)
    assert trace(BOX, "--alertmanager-url", AM) == 1
    assert "Alertmanager" in _one_line(capsys)


def test_a_box_without_data_is_one_line_and_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    empty = {"results": [{"statement_id": i} for i in range(4)]}
    monkeypatch.setattr(requests, "request", FakeServers(empty))
    assert trace(BOX, "--alertmanager-url", "") == 1
    assert f"no moves, readings or exceptions of {BOX}" in _one_line(capsys)


def test_help_describes_the_output(capsys: Capture) -> None:
    with pytest.raises(SystemExit):
        main(["trace", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for words in ("mean kinetic temperature", "--json", "--html", "power-off", "365 days"):
        assert words in out


def _move(kind: str, at: str, when: datetime, direction: str | None = None) -> Move:
    return Move(when, kind, at, direction, None, None, None, None, None)


def _readings(*minutes: int, commodity: str | None = "citrus") -> list[Reading]:
    return [
        Reading(T0 + timedelta(minutes=m), 5.0, None, 5.0, True, commodity, 2.0, 6.0)
        for m in minutes
    ]


def test_a_gate_out_at_home_ends_a_trip_and_a_discharge_there_does_not() -> None:
    moves = [
        _move("DISC", "HHW", T0 + timedelta(minutes=15), "INBOUND"),
        _move("GTOT", "HHW", T0 + timedelta(minutes=30)),
    ]
    leaves = leave_times(moves, [], "HHW")
    assert leaves == [T0 + timedelta(minutes=30)]
    segments = split_trips(_readings(0, 10, 20, 30, 40, 50), leaves)
    assert [len(s.readings) for s in segments] == [3, 2]  # the reading at 30: no trip's
    assert [s.end for s in segments] == [T0 + timedelta(minutes=30), None]


def test_a_commodity_the_reference_does_not_know_is_judged_by_the_stored_band() -> None:
    segment = split_trips(_readings(0, 10, commodity="mystery"), [])[0]
    found = trip(segment, REFERENCE)
    assert found is not None and found.commodity == "mystery"
    assert (found.summary.band_low_c, found.summary.band_high_c) == (2.0, 6.0)
    assert found.summary.activation_energy_kj_mol == DEFAULT_ACTIVATION_ENERGY_KJ_MOL
    known = trip(split_trips(_readings(0, 10), [])[0], REFERENCE)
    assert known is not None and known.summary.band_high_c == 9.0  # citrus's profile


def test_a_power_off_still_off_at_the_trips_end_lasts_until_it() -> None:
    off = [replace(r, power_on=False) for r in _readings(0, 10)]
    segment = Segment(off, T0 + timedelta(minutes=25))
    assert [(p.start, p.end) for p in power_off(segment)] == [(T0, T0 + timedelta(minutes=25))]
    # Silent from the last reading to the trip's end for longer than the gap time.
    threshold = timedelta(minutes=REFERENCE.exception_rules.telemetry_gap_minutes)
    late = Segment(_readings(0), T0 + timedelta(minutes=45))
    assert [g.minutes for g in gaps(late, threshold)] == [45.0]
