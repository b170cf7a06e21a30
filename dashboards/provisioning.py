"""Grafana provisioning files: the InfluxDB data source, the dashboard folder, and the
alert rules with Alertmanager as their contact point.

Values that differ per deployment come from the environment of the Grafana server,
which expands ``${NAME}`` in provisioning files: ``LUGANG_INFLUX_URL`` (as the worker uses
it), ``INFLUX_V1_READ_USER`` and ``INFLUX_V1_READ_PASSWORD``, and
``LUGANG_ALERTMANAGER_URL``. The data source reads InfluxDB as a read-only InfluxQL (v1)
user, the one deploy/influxdb/initdb.d/10-lugang-v1.sh creates on InfluxDB 2.x, never
with the workers' token, which may write (and on the production stack is the admin's).

Alert rules are built with grafana-foundation-sdk's alerting builders (the provisioning
API's model) and written in the file-provisioning layout, which differs from that model
only in where the folder and group go. The SDK has no model of the data source, dashboard
provider, contact point and group files: those are plain dictionaries here (and its
contact-point type list lacks ``prometheus-alertmanager``, the type Grafana uses).
"""

from __future__ import annotations

import json
from typing import Final, Literal

from grafana_foundation_sdk.builders import alerting, expr
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import alerting as alerting_model
from grafana_foundation_sdk.models import dashboard as model

from dashboards.influxql import (
    DATABASE,
    DATASOURCE_NAME,
    DATASOURCE_TYPE,
    DATASOURCE_UID,
    InfluxQL,
    by,
    select,
)
from streams.schema import health

ORG_ID: Final = 1
FOLDER: Final = "Lugang 陆港"
FOLDER_UID: Final = "lugang"
DASHBOARDS_PATH: Final = "/etc/grafana/dashboards/lugang"
"""Where the Grafana server finds ``dashboards/json`` (the deployment mounts it there)."""
READ_USER: Final = "INFLUX_V1_READ_USER"
READ_PASSWORD: Final = "INFLUX_V1_READ_PASSWORD"  # noqa: S105 (a variable name, no secret)
"""The environment variables of the Grafana server that hold the read-only v1 user."""
CONTACT_POINT: Final = "Alertmanager"
RULE_GROUP: Final = "lugang"
SILENCE_MINUTES: Final = 10
"""No events from any input topic for this long: the stream is silent."""
DEAD_LETTER_SPIKE: Final = 50
"""More dead letters than this in 5 minutes on one topic: a producer sends bad records."""
_EXPR: Final = model.DataSourceRef(type_val="__expr__", uid="__expr__")
_API_ONLY_KEYS: Final = ("folderUID", "orgID", "ruleGroup")
"""Keys of the API's rule model that the file layout puts on the group instead."""


def datasources() -> dict[str, object]:
    """The InfluxDB data source in InfluxQL mode (InfluxDB 1.x, or 2.x/3.x through their
    v1 API with a database mapping), as a read-only v1 user (user and password)."""
    source = {
        "name": DATASOURCE_NAME,
        "uid": DATASOURCE_UID,
        "type": DATASOURCE_TYPE,
        "access": "proxy",
        "orgId": ORG_ID,
        "url": "${LUGANG_INFLUX_URL}",
        "user": f"${{{READ_USER}}}",
        "isDefault": True,
        "editable": False,
        "jsonData": {
            "version": "InfluxQL",
            "dbName": DATABASE,
            "httpMode": "GET",
            "timeInterval": f"{health.INTERVAL_S}s",
        },
        "secureJsonData": {"password": f"${{{READ_PASSWORD}}}"},
    }
    return {"apiVersion": 1, "datasources": [source]}


def dashboard_providers() -> dict[str, object]:
    """The dashboards of ``dashboards/json``, read-only in Grafana (edit the code)."""
    provider = {
        "name": "lugang",
        "orgId": ORG_ID,
        "folder": FOLDER,
        "folderUid": FOLDER_UID,
        "type": "file",
        "disableDeletion": True,
        "allowUiUpdates": False,
        "updateIntervalSeconds": 60,
        "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
    }
    return {"apiVersion": 1, "providers": [provider]}


def contact_points() -> dict[str, object]:
    receiver = {
        "uid": "lugang-alertmanager",
        "type": "prometheus-alertmanager",
        "settings": {"url": "${LUGANG_ALERTMANAGER_URL}"},
        "disableResolveMessage": False,
    }
    point = {"orgId": ORG_ID, "name": CONTACT_POINT, "receivers": [receiver]}
    return {"apiVersion": 1, "contactPoints": [point]}


def policies() -> dict[str, object]:
    """Every Lugang alert goes to Alertmanager, which groups, silences and routes it on."""
    policy = (
        alerting.NotificationPolicy()
        .receiver(CONTACT_POINT)
        .group_by(["grafana_folder", "alertname"])
        .group_wait("30s")
        .group_interval("5m")
        .repeat_interval("4h")
    )
    return {"apiVersion": 1, "policies": [{"orgId": ORG_ID, **_json(policy.build())}]}


def _json(value: object) -> dict[str, object]:
    """An SDK model as plain JSON data."""
    data: dict[str, object] = json.loads(json.dumps(value, cls=JSONEncoder))
    return data


def _rule(
    uid: str,
    title: str,
    query: InfluxQL,
    window_s: tuple[int, int],
    condition: tuple[Literal["gt", "lt"], float],
    *,
    pending: str,
    no_data: Literal["Alerting", "NoData", "OK"],
    summary: str,
) -> alerting.Rule:
    """A rule on one InfluxQL query over ``window_s`` (seconds ago: from, to): the last
    value of each series (B) compared with ``condition`` (C: ``gt``/``lt``, value)."""
    evaluator, value = condition
    source = (
        alerting.Query("A")
        .datasource_uid(DATASOURCE_UID)
        .relative_time_range(alerting_model.RelativeTimeRange(window_s[0], window_s[1]))
        .model(query)
    )
    reduce = (
        expr.TypeReduce()
        .ref_id("B")
        .datasource(_EXPR)
        .expression("A")
        .reducer("last")
        .settings(expr.ExprTypeReduceSettings().mode("dropNN"))
    )
    threshold = (
        expr.TypeThreshold()
        .ref_id("C")
        .datasource(_EXPR)
        .expression("B")
        .conditions(
            [
                expr.ExprTypeThresholdConditions().evaluator(
                    expr.ExprTypeThresholdConditionsEvaluator().type(evaluator).params([value])
                )
            ]
        )
    )
    return (
        alerting.Rule(title)
        .uid(uid)
        .condition("C")
        .queries(
            [
                source,
                alerting.Query("B").datasource_uid("__expr__").model(reduce),
                alerting.Query("C").datasource_uid("__expr__").model(threshold),
            ]
        )
        .for_val(pending)
        .no_data_state(no_data)
        .exec_err_state("Alerting")
        .labels({"lugang": "grafana", "severity": "warning"})
        .annotations({"summary": summary})
    )


def rules() -> list[alerting.Rule]:
    """A silent stream, a dead-letter spike, a failing sink: the pipeline's health.

    Titles are CamelCase because a rule's title is the ``alertname`` Alertmanager routes,
    groups and silences by; the words for people are in the bilingual summary. 天天班 at
    risk has no rule here: the worker pages it (``DailyServiceAtRisk``, with the port's
    rules, streams.schema.alerts), and a second rule would page it twice under two names."""
    events = select('sum("events")', health.PIPELINE)
    dead = select('sum("dead_letters")', health.PIPELINE, group_by=by("topic"))
    errors = select('sum("errors")', health.PIPELINE_SINK, group_by=by("sink"))
    return [
        _rule(
            "lugang-stream-silent",
            "StreamSilent",
            events,
            (SILENCE_MINUTES * 60, 0),
            ("lt", 1),
            pending="1m",
            no_data="Alerting",
            summary=f"No event read from any input topic for {SILENCE_MINUTES} minutes, "
            "or no worker reports its health / "
            f"{SILENCE_MINUTES} 分钟内未从任何输入主题读到事件，"
            "或无工作进程上报健康状态（数据流中断）",
        ),
        _rule(
            "lugang-dead-letter-spike",
            "DeadLetterSpike",
            dead.alias("$tag_topic"),
            (300, 0),
            ("gt", DEAD_LETTER_SPIKE),
            pending="0s",
            no_data="OK",
            summary="{{ $labels.topic }}: more than "
            f"{DEAD_LETTER_SPIKE} records in 5 minutes failed validation / "
            f"{{{{ $labels.topic }}}}：5 分钟内超过 {DEAD_LETTER_SPIKE} 条记录校验失败（死信激增）",
        ),
        _rule(
            "lugang-sink-failing",
            "SinkFailing",
            errors.alias("$tag_sink"),
            (300, 0),
            ("gt", 0),
            pending="5m",
            no_data="OK",
            summary="{{ $labels.sink }}: requests keep failing; the worker retries and "
            "holds its offsets until they succeed / "
            "{{ $labels.sink }}：写入持续失败，工作进程会重试，成功前不提交偏移量（写入失败）",
        ),
    ]


def rule_groups() -> dict[str, object]:
    """The alert rules in Grafana's file-provisioning layout."""
    listed = []
    for rule in rules():
        data = _json(rule.build())
        listed.append({key: value for key, value in data.items() if key not in _API_ONLY_KEYS})
    group = {
        "orgId": ORG_ID,
        "name": RULE_GROUP,
        "folder": FOLDER,
        "interval": "1m",
        "rules": listed,
    }
    return {"apiVersion": 1, "groups": [group]}
