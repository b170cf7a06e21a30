"""The generated Grafana dashboards and provisioning files: committed as generated, wired
to the Lugang InfluxDB, querying only what the stream writes, and valid against
Grafana's published schema (grafana-foundation-sdk's models, and @grafana/schema's
TypeScript types through ``tsc``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import alerting as alerting_model
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards import build, coldchain, influxql, overview, pipeline, provisioning, trends
from dashboards.queries import PanelQuery, dashboard_queries, measurement, names_read, rule_queries
from lugang.contract import ColdChainException, ContainerEvent, ReeferReading, exception_id
from lugang.reference import default_reference
from streams.domain.counts import DayTotals, Fact, fact_of
from streams.domain.dwell import Dwell
from streams.domain.projection import project_year
from streams.domain.status import compute_status
from streams.domain.transit import RunUnderWay
from streams.schema import health, points
from streams.schema.alerts import DAILY_SERVICE_ALERT, daily_service_alert
from streams.schema.silences import Acknowledgement

REF = default_reference()
INFLUX = {"type": "influxdb", "uid": influxql.DATASOURCE_UID}
FILES = build.rendered(REF)
BOARDS = {path: json.loads(text) for path, text in FILES.items() if path.endswith(".json")}
PROVISIONED = {path: yaml.safe_load(text) for path, text in FILES.items() if path.endswith(".yaml")}
RULES = PROVISIONED["provisioning/alerting/rules.yaml"]
SCHEMA_CHECK = build.HERE / "schema-check"
CST = timezone(timedelta(hours=8))


def written_schema() -> dict[str, set[str]]:
    """Measurement -> the tags and fields the stream's own builders write, found by
    building one sample of each kind (every optional field present)."""
    day = date(2026, 3, 15)
    totals = DayTotals(day=day)
    spec = REF.corridor("HHW-QZH")
    for event_id, kind, direction in [
        ("t1", "TRAIN_RUN", "OUTBOUND"),
        ("c1", "CONTAINER_MOVE", "OUTBOUND"),  # moves both ways: the balance ratio and
        ("c2", "CONTAINER_MOVE", "INBOUND"),  # both empty shares are written
    ]:
        totals.add(
            Fact.model_validate(
                {
                    "event_id": event_id,
                    "day": day,
                    "kind": kind,
                    "corridor": "HHW-QZH",
                    "direction": direction,
                    "service_group": spec.service_group,
                    "teu_category": spec.teu_category,
                    "teu": 1.0 if kind == "CONTAINER_MOVE" else 0.0,
                }
            )
        )
    status = compute_status({day: totals}, REF, day, datetime(2026, 3, 15, 20, tzinfo=CST))
    projection = project_year({day: totals}, day, REF.targets[day.year])
    assert projection is not None
    started = datetime(2026, 3, 15, 8, tzinfo=CST)
    closed = ColdChainException(
        exception_id=exception_id("MSKU9070323", "HIGH", started),
        kind="HIGH",
        equipment_reference="MSKU9070323",
        commodity="citrus",
        started_at=started,
        ended_at=started + timedelta(hours=1),
        peak_deviation_c=2.5,
        duration_s=3600.0,
        status="CLOSED",
    )
    reading = ReeferReading(
        event_id="r1",
        equipment_reference="MSKU9070323",
        reading_time=started,
        setpoint_c=6,
        supply_air_c=6.5,
        return_air_c=7,
        humidity_pct=90,
        power_on=True,
    )
    moved = ContainerEvent(
        event_id="c3",
        event_type="LOAD",
        equipment_reference="MSKU9070323",
        iso_equipment_code="45R1",
        empty_indicator="LADEN",
        train_id="X1",
        corridor="HHW-QZH",
        direction="OUTBOUND",
        location="HHW",
        event_time=started,
        gross_weight_kg=26000,
        commodity="citrus",
    )
    samples = [
        *points.day_samples(totals, REF),
        points.move_sample(moved, fact_of(moved, REF)),
        *points.status_samples(status, REF),
        *points.live_daily_service_samples(status, REF),
        *points.projection_samples(projection, REF),
        points.departure_sample("X1", "HHW-QZH", started),
        points.transit_sample("X1", "HHW-QZH", started, started + timedelta(hours=29), 30),
        points.in_transit_sample(
            RunUnderWay(
                train_id="X2",
                corridor="HHW-QZH",
                departed_at=started,
                elapsed_h=31.0,
                benchmark_h=30.0,
                due_at=started + timedelta(hours=30),
                overdue=True,
            )
        ),
        points.exception_sample(closed),
        points.ack_sample(
            Acknowledgement("s1", closed.exception_id, "lugang", "li", started, started, "")
        ),
        points.reading_sample(reading, "citrus", REF.commodity("citrus"), "HHW-QZH"),
        points.dwell_sample(
            Dwell(
                "MSKU9070323",
                "OUTBOUND",
                spec.teu_category,
                True,
                started,
                started + timedelta(hours=5),
            )
        ),
        *health.health_samples(
            "w",
            started,
            {"trains": health.TopicHealth(1, 0, 0)},
            {"influxdb": health.SinkHealth(0, 0)},
            {"movements": True},
            {("reefer", "late"): 1},
        ),
    ]
    schema: dict[str, set[str]] = {}
    for sample in samples:
        schema.setdefault(sample.measurement, set()).update(sample.tags, sample.fields)
    return schema


SCHEMA = written_schema()


def every_query() -> Iterator[PanelQuery]:
    for board in BOARDS.values():
        yield from dashboard_queries(board)
    yield from rule_queries(RULES)


def test_committed_files_are_what_the_code_generates() -> None:
    """Drift: the files under dashboards/ are exactly the generated ones."""
    hint = "dashboards/ differs from the code: run `lugang dashboards build` and commit"
    committed_json = {
        f"{build.JSON_DIR}/{p.name}" for p in (build.HERE / build.JSON_DIR).glob("*.json")
    }
    assert committed_json == {p for p in FILES if p.endswith(".json")}, hint
    for path, text in FILES.items():
        committed = build.HERE / path
        assert committed.is_file(), f"{path} is missing: {hint}"
        assert committed.read_text(encoding="utf-8") == text, f"{path}: {hint}"


def test_build_all_writes_every_file_and_removes_stale_dashboards(tmp_path: Path) -> None:
    stale = tmp_path / build.JSON_DIR / "old-dashboard.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    written = build.build_all(tmp_path, REF)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(FILES)
    assert not stale.exists()


def test_every_panel_query_and_variable_uses_the_lugang_influxdb() -> None:
    expected = {"type": "influxdb", "uid": influxql.DATASOURCE_UID}
    for board in BOARDS.values():
        panels = [p for p in board["panels"] if p["type"] != "row"]
        assert panels, board["uid"]
        for panel in panels:
            assert panel["datasource"] == expected, panel["title"]
            assert panel["targets"], f"{panel['title']}: no query"
            for target in panel["targets"]:
                assert target["datasource"] == expected, panel["title"]
                assert target["rawQuery"] is True, panel["title"]
        for item in [*board["annotations"].get("list", []), *board["templating"].get("list", [])]:
            assert item["datasource"] == expected


def test_queries_read_only_measurements_fields_and_tags_the_stream_writes() -> None:
    assert set(SCHEMA) == {*points.MEASUREMENTS, *health.HEALTH_MEASUREMENTS}
    queries = list(every_query())
    assert len(queries) > 40
    for query in queries:
        table = measurement(query.text)
        assert table in SCHEMA, f"{query.where}: unknown measurement {table}"
        unknown = names_read(query.text) - SCHEMA[table]
        assert not unknown, f"{query.where} ({query.title}): {table} has no {unknown}"


def test_queries_filter_by_grafana_time_range() -> None:
    """Every query but the variable's tag listing is bounded by $timeFilter."""
    for query in every_query():
        if "variable" not in query.where:
            assert "$timeFilter" in query.text, query.where


def test_every_measurement_of_the_plan_has_a_panel() -> None:
    read = {measurement(q.text) for q in every_query()}
    assert read == set(SCHEMA)


def _lost(original: Any, round_trip: Any, path: str = "") -> list[str]:
    """Paths of ``original`` that the round trip dropped or changed (defaults the model
    adds are fine)."""
    if isinstance(original, dict):
        if not isinstance(round_trip, dict):
            return [path]
        return [
            lost
            for key, value in original.items()
            for lost in (
                _lost(value, round_trip[key], f"{path}/{key}")
                if key in round_trip
                else [f"{path}/{key}"]
            )
        ]
    if isinstance(original, list):
        if not isinstance(round_trip, list) or len(original) != len(round_trip):
            return [path]
        return [
            lost
            for i, pair in enumerate(zip(original, round_trip, strict=True))
            for lost in _lost(*pair, f"{path}[{i}]")
        ]
    return [] if original == round_trip else [f"{path}: {original!r} != {round_trip!r}"]


def _as_json(model: object) -> Any:
    return json.loads(json.dumps(model, cls=JSONEncoder))


@pytest.fixture(scope="module", autouse=True)
def sdk_models() -> None:
    """Decode panel options and queries into the SDK's typed models."""
    plugins.register_default_plugins()
    influxql.register()


@pytest.mark.parametrize("path", sorted(BOARDS))
def test_dashboards_round_trip_through_the_sdk_models(path: str) -> None:
    """Grafana's published models (grafana-foundation-sdk) read every key and value back;
    annotation targets are the one exception: the SDK only models Grafana's built-in
    annotations, so they are checked as InfluxQL queries instead."""
    board = BOARDS[path]
    model = Dashboard.from_json(board)
    assert model.uid and model.title and model.schema_version >= 39
    round_trip = _as_json(model)
    annotations = board["annotations"].get("list", [])
    for index, annotation in enumerate(annotations):
        target = annotation["target"]
        assert {"refId", "query", "rawQuery", "textColumn", "tagsColumn"} <= set(target)
        round_trip["annotations"]["list"][index]["target"] = target
    assert _lost(board, round_trip) == []
    targets = [t for p in model.panels or [] for t in getattr(p, "targets", None) or []]
    assert targets and all(isinstance(t, influxql.InfluxQLQuery) for t in targets)


@pytest.mark.parametrize("path", sorted(BOARDS))
def test_dashboard_layout(path: str) -> None:
    board = BOARDS[path]
    ids = [p["id"] for p in board["panels"]]
    assert ids == list(range(1, len(ids) + 1))
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert re.search(r"[\u4e00-\u9fff]", panel["title"]), f"{panel['title']}: no Chinese"
        assert re.search(r"[A-Za-z]{3}", panel["title"]), f"{panel['title']}: no English"
        refs = [t["refId"] for t in panel.get("targets", [])]
        assert len(refs) == len(set(refs)), panel["title"]


def test_datasource_provisioning() -> None:
    (source,) = PROVISIONED["provisioning/datasources/lugang.yaml"]["datasources"]
    assert source["uid"] == influxql.DATASOURCE_UID and source["type"] == "influxdb"
    assert source["url"] == "${LUGANG_INFLUX_URL}"
    assert source["jsonData"]["version"] == "InfluxQL"
    assert source["jsonData"]["dbName"] == "lugang"
    # The read-only v1 user (deploy/influxdb/initdb.d), never the workers' token: the
    # InfluxQL form of Grafana's docs, user and secureJsonData.password.
    assert source["user"] == "${INFLUX_V1_READ_USER}"
    assert source["secureJsonData"] == {"password": "${INFLUX_V1_READ_PASSWORD}"}
    assert "TOKEN" not in json.dumps(source).upper()


def test_dashboard_provider_points_at_the_dashboards() -> None:
    (provider,) = PROVISIONED["provisioning/dashboards/lugang.yaml"]["providers"]
    assert provider["type"] == "file" and provider["options"]["path"].startswith("/")
    assert {"name", "folder", "options"} <= set(provider)


def test_alert_rules_have_what_grafana_requires() -> None:
    """Required keys of Grafana's rule-file layout, conditions that name a query, and
    each rule read back without loss by the SDK's alert-rule model."""
    (group,) = RULES["groups"]
    assert {"orgId", "name", "folder", "interval", "rules"} <= set(group)
    titles = set()
    for rule in group["rules"]:
        assert {"uid", "title", "condition", "data", "for", "noDataState", "execErrState"} <= set(
            rule
        )
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", rule["uid"])
        assert rule["noDataState"] in {"NoData", "Alerting", "OK"}
        assert rule["execErrState"] in {"Error", "Alerting", "OK"}
        refs = {data["refId"] for data in rule["data"]}
        assert rule["condition"] in refs
        for data in rule["data"]:
            assert {"refId", "datasourceUid", "model"} <= set(data)
            if data["datasourceUid"] != "__expr__":
                assert data["datasourceUid"] == influxql.DATASOURCE_UID
                assert {"from", "to"} <= set(data["relativeTimeRange"])
            else:
                assert data["model"]["expression"] in refs
        round_trip = _as_json(alerting_model.Rule.from_json(rule))
        assert _lost(rule, round_trip) == []
        titles.add(rule["title"])
    assert len(titles) == len(group["rules"]) == 3


def test_alerts_go_to_alertmanager() -> None:
    alerting = "provisioning/alerting"
    (point,) = PROVISIONED[f"{alerting}/contact-points.yaml"]["contactPoints"]
    (receiver,) = point["receivers"]
    assert receiver["type"] == "prometheus-alertmanager"
    assert receiver["settings"]["url"] == "${LUGANG_ALERTMANAGER_URL}"
    (policy,) = PROVISIONED[f"{alerting}/policies.yaml"]["policies"]
    assert policy["receiver"] == point["name"] == provisioning.CONTACT_POINT
    round_trip = _as_json(alerting_model.NotificationPolicy.from_json(policy))
    assert _lost({k: v for k, v in policy.items() if k != "orgId"}, round_trip) == []


def test_dashboards_type_check_against_grafanas_typescript_schema() -> None:
    """``tsc --noEmit`` over every dashboard typed as @grafana/schema's ``Dashboard`` and
    each panel's ``Options``/``FieldConfig`` (excess keys are errors, so a misspelt
    option fails). Needs ``npm ci`` in dashboards/schema-check (install.sh runs it)."""
    npm = shutil.which("npm")
    assert npm, "npm is needed for the TypeScript schema check"
    assert (SCHEMA_CHECK / "node_modules" / "@grafana" / "schema").is_dir(), (
        "run `npm ci --prefix dashboards/schema-check` (install.sh does) first"
    )
    result = subprocess.run(
        [npm, "run", "--silent", "check"],
        cwd=SCHEMA_CHECK,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


# -- alert rules as Alertmanager sees them, and links between dashboards (issue 11) ---------

CJK = re.compile(r"[\u4e00-\u9fff]")


def _rules() -> list[dict[str, Any]]:
    return [rule for group in RULES["groups"] for rule in group["rules"]]


def test_rule_titles_are_camel_case_alert_names_with_bilingual_summaries() -> None:
    """A rule's title is the ``alertname`` Alertmanager routes and silences by: one word,
    no spaces, no Chinese; the words for people are in the summary, in both languages."""
    for rule in _rules():
        assert re.fullmatch(r"(?:[A-Z][a-z0-9]+){2,}", rule["title"]), rule["title"]
        summary = rule["annotations"]["summary"]
        english, _, chinese = summary.partition(" / ")
        assert re.search(r"[A-Za-z]{3,} [a-z]{2,}", english) and not CJK.search(english), summary
        assert CJK.search(chinese), summary


def test_daily_service_at_risk_is_paged_by_the_worker_alone() -> None:
    """天天班 at risk once paged twice, under two names: the worker's DailyServiceAtRisk,
    which follows the port's rules, is the one owner; no Grafana rule reads 天天班."""
    daily = {points.DAILY_SERVICE, points.DAILY_SERVICE_STATUS, points.DAILY_SERVICE_LIVE}
    assert not [q.where for q in rule_queries(RULES) if measurement(q.text) in daily]
    for rule in _rules():
        text = f"{rule['title']} {rule['annotations']['summary']}"
        assert "天天班" not in text and "daily" not in text.lower(), text
    firing = daily_service_alert("RAIL_SEA", date(2026, 3, 15), True, datetime.now(CST))
    assert firing.labels["alertname"] == DAILY_SERVICE_ALERT
    assert DAILY_SERVICE_ALERT not in {rule["title"] for rule in _rules()}


def _panel(uid: str, title: str) -> dict[str, Any]:
    panels = BOARDS[f"{build.JSON_DIR}/{uid}.json"]["panels"]
    (panel,) = [p for p in panels if p["title"] == title]
    found: dict[str, Any] = panel
    return found


def _links(panel: dict[str, Any]) -> list[str]:
    return [link["url"] for link in panel["fieldConfig"]["defaults"].get("links", [])]


def test_each_exception_row_links_to_its_container() -> None:
    board = BOARDS[f"{build.JSON_DIR}/{coldchain.UID}.json"]
    variables = [v["name"] for v in board["templating"]["list"]]
    table = _panel(coldchain.UID, "未关闭及近期异常 Open and recent exceptions, last 7 days")
    (url,) = _links(table)
    path, _, query = url.partition("?")
    assert path == f"/d/{board['uid']}"
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    # The row's container (a column of the table) and a range around its time.
    assert params == {
        f"var-{variables[0]}": "${__data.fields.equipment_reference}",
        "time": "${__value.time}",
        "time.window": str(8 * 3600 * 1000),
    }
    assert '"equipment_reference"' in table["targets"][0]["query"]


def test_the_open_exceptions_figure_links_to_the_cold_chain_dashboard() -> None:
    title = "未关闭冷链异常 Open cold-chain exceptions"
    assert _links(_panel(overview.UID, title)) == [f"/d/{coldchain.UID}"]
    assert _links(_panel(coldchain.UID, title)) == []  # no link to itself


# -- departures and cold-chain exceptions as annotations from InfluxDB (issue 11) ----------


def _annotations(uid: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = BOARDS[f"{build.JSON_DIR}/{uid}.json"]["annotations"].get(
        "list", []
    )
    return found


def test_departures_are_annotations_of_the_dashboards_with_time_series_of_runs() -> None:
    """The overview and the trends mark each departure from the port in their range: the
    train id as text, its corridor as a tag, read from InfluxDB when the dashboard is
    looked at."""
    for uid in (overview.UID, trends.UID):
        (departures,) = _annotations(uid)
        target = departures["target"]
        assert departures["name"] == "发车 Train departures" and departures["enable"] is True
        assert departures["datasource"] == target["datasource"] == INFLUX
        assert target["query"] == (
            'SELECT "train_id", "corridor", "runs" FROM "train_departure" WHERE $timeFilter'
        )
        assert (target["textColumn"], target["tagsColumn"]) == ("train_id", "corridor")
        assert "timeEndColumn" not in target  # a departure is a moment
        assert target["rawQuery"] is True and target["fromAnnotations"] is True
    assert _annotations(pipeline.UID) == []


def test_cold_chain_exceptions_are_regions_of_the_chosen_containers() -> None:
    """The cold-chain dashboard shows the exceptions of ``$container`` (the annotation the
    README calls "every exception is an annotation"): a closed one as a region to its end,
    which the closed exception's point carries in Grafana's unit (ms)."""
    exceptions, _ = _annotations(coldchain.UID)
    target = exceptions["target"]
    assert exceptions["name"] == "冷链异常 Cold-chain exceptions" and exceptions["enable"] is True
    assert exceptions["datasource"] == target["datasource"] == INFLUX
    assert target["query"] == (
        'SELECT "kind", "equipment_reference", "commodity", "corridor", "status", '
        '"ended_at_ms", "peak_deviation_c" FROM "coldchain_exception" '
        'WHERE "equipment_reference" =~ /^$container$/ AND $timeFilter'
    )
    assert target["textColumn"] == "kind"
    assert target["tagsColumn"] == "equipment_reference,commodity,corridor,status"
    assert target["timeEndColumn"] == "ended_at_ms"
    started = datetime(2026, 3, 15, 8, tzinfo=CST)
    ended = started + timedelta(minutes=40)
    closed = ColdChainException(
        exception_id=exception_id("MSKU9070323", "LOW", started),
        kind="LOW",
        equipment_reference="MSKU9070323",
        started_at=started,
        ended_at=ended,
        duration_s=2400.0,
        status="CLOSED",
    )
    opened = closed.model_copy(update={"status": "OPEN", "ended_at": None, "duration_s": None})
    assert points.exception_sample(closed).fields["ended_at_ms"] == ended.timestamp() * 1000
    assert "ended_at_ms" not in points.exception_sample(opened).fields  # a point at its start


def test_cold_chain_moves_are_marks_on_the_chosen_containers_charts() -> None:
    """The cold-chain dashboard marks each move of ``$container`` (its kind as text, where
    and on which train as tags) on its temperature chart: the journey beside the curve."""
    _, moves = _annotations(coldchain.UID)
    target = moves["target"]
    assert moves["name"] == "箱子动态 Container moves" and moves["enable"] is True
    assert target["query"] == (
        'SELECT "event_type", "location", "direction", "train_id", "corridor", "event_id" '
        'FROM "container_move" WHERE "equipment_reference" =~ /^$container$/ AND $timeFilter'
    )
    assert target["textColumn"] == "event_type"
    assert target["tagsColumn"] == "location,direction,train_id,corridor"
    assert "timeEndColumn" not in target or target["timeEndColumn"] is None


def test_every_annotation_query_is_run_with_the_panel_queries() -> None:
    """tests/integration/test_dashboard_queries.py runs what ``dashboard_queries`` lists
    on the real InfluxDB: every annotation is among them, over its dashboard's range."""
    for board in BOARDS.values():
        listed = [q for q in dashboard_queries(board) if q.where == f"{board['uid']} annotation"]
        wanted = board["annotations"].get("list", [])
        assert [(q.title, q.text) for q in listed] == [
            (a["name"], a["target"]["query"]) for a in wanted
        ]
        assert all((q.time_from, q.time_to) == tuple(board["time"].values()) for q in listed)


def test_the_year_end_projection_table_names_every_measure_and_category() -> None:
    """One row per measure and TEU category of ``year_projection`` (its tags as columns,
    named by value mappings), the chance of the target coloured, the time hidden."""
    board = BOARDS[f"{build.JSON_DIR}/{overview.UID}.json"]
    (panel,) = [p for p in board["panels"] if "Year-end projection" in p["title"]]
    (query,) = [q for q in dashboard_queries(board) if q.title == panel["title"]]
    assert measurement(query.text) == points.YEAR_PROJECTION
    assert query.text.endswith('GROUP BY "measure", "teu_category"')
    assert names_read(query.text) == {
        "actual",
        "projected",
        "low",
        "high",
        "target",
        "probability",
        "measure",
        "teu_category",
    }
    assert panel["targets"][0]["resultFormat"] == "table"
    overrides = {
        o["matcher"]["options"]: {p["id"]: p["value"] for p in o["properties"]}
        for o in panel["fieldConfig"]["overrides"]
    }
    assert overrides["Time"] == {"custom.hidden": True}
    for tag, names in (
        ("measure", points.PROJECTION_MEASURES),
        ("teu_category", REF.teu_categories),
    ):
        (mapping,) = overrides[tag]["mappings"]
        assert set(mapping["options"]) == set(names)
    chance = overrides["达标概率 chance"]
    assert chance["unit"] == "percent"
    assert [s["color"] for s in chance["thresholds"]["steps"]] == ["red", "orange", "green"]
