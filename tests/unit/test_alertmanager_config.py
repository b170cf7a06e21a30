"""The repository's Alertmanager configurations against the alerts Lugang really sends
(built here by the code that sends them: the worker's pages and Grafana's provisioned
rules): every inhibit rule compares labels its alerts carry (an ``equal: [container]``
between pages and warnings once matched nothing, since no warning carries ``container``),
and, with amtool (Debian's prometheus-alertmanager; skipped without it), each config is
valid and routes each alert to the receivers the deployment promises."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from dashboards import provisioning
from dashboards.queries import rule_queries
from lugang.contract import ColdChainException, ExceptionKind, exception_id
from streams.domain.transit import RunUnderWay
from streams.schema.alerts import daily_service_alert, exception_alert, train_overdue_alert

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
LOCAL_SCRIPT = ROOT / "deploy" / "local" / "start-alertmanager.sh"
NOW = datetime(2026, 3, 16, 12, tzinfo=UTC)
TECHNICIANS = {"POWER_OFF", "TELEMETRY_GAP", "SETPOINT_MISMATCH"}
"""Kinds that point at the equipment: the reefer technicians hear of them too."""

Labels = Mapping[str, str]


def _exception(kind: str) -> ColdChainException:
    return ColdChainException(
        exception_id=exception_id("MSKU9070323", kind, NOW),  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        equipment_reference="MSKU9070323",
        commodity="citrus",
        corridor="HHW-QZH",
        started_at=NOW,
        status="OPEN",
    )


def worker_alerts() -> list[dict[str, str]]:
    """The label sets of every page the worker sends, as its sink stamps them."""
    alerts = [
        exception_alert(_exception(kind), NOW, UTC, seen_closed=seen_closed)
        for kind in get_args(ExceptionKind)
        for seen_closed in (False, True)
    ]
    alerts += [daily_service_alert(g, date(2026, 3, 16), True, NOW) for g in ("RAIL_SEA", "X")]
    late = RunUnderWay(
        train_id="X9001",
        corridor="HHW-QZH",
        departed_at=NOW - timedelta(hours=31),
        elapsed_h=31.0,
        benchmark_h=30.0,
        due_at=NOW - timedelta(hours=1),
        overdue=True,
    )
    alerts.append(train_overdue_alert(late, NOW, UTC))
    inbound = late.model_copy(update={"direction": "INBOUND"})
    alerts.append(train_overdue_alert(inbound, NOW, UTC))
    return [{**alert.labels, "lugang": "lugang"} for alert in alerts]


def grafana_alerts() -> list[dict[str, str]]:
    """The label sets of the provisioned rules' alerts as Grafana sends them: the rule's
    labels, its title as ``alertname``, its folder, and each series' GROUP BY tags."""
    groups = provisioning.rule_groups()
    alerts = []
    for group, query in zip(_rules(groups), rule_queries(groups), strict=True):
        series = dict.fromkeys(re.findall(r'GROUP BY "(\w+)"', query.text), "some")
        alerts.append(
            {
                **group["labels"],
                **series,
                "alertname": group["title"],
                "grafana_folder": provisioning.FOLDER,
            }
        )
    return alerts


def _rules(groups: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in groups["groups"] for rule in group["rules"]]


ALERTS = worker_alerts() + grafana_alerts()


def local_config() -> str:
    """The config deploy/local/start-alertmanager.sh writes (local runs and tests)."""
    script = LOCAL_SCRIPT.read_text(encoding="utf-8")
    found = re.search(r"<<YAML\n(.*?)\nYAML\n", script, flags=re.DOTALL)
    assert found, f"no alertmanager.yml here-document in {LOCAL_SCRIPT}"
    return found.group(1).replace("$webhook", "http://127.0.0.1:9/")


CONFIGS = {
    "deploy/alertmanager/alertmanager.yml": DEPLOYED.read_text(encoding="utf-8"),
    "deploy/local/start-alertmanager.sh": local_config(),
}


_MATCHER = re.compile(r'^\s*(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def matches(matchers: list[str], labels: Labels) -> bool:
    """Whether ``labels`` satisfy Alertmanager matchers (``name="v"``, ``=~``, ``!=``, ``!~``)."""
    for matcher in matchers:
        found = _MATCHER.match(matcher)
        assert found, f"a matcher this test cannot read: {matcher}"
        name, op, value = found.groups()
        have = labels.get(name, "")
        ok = {
            "=": have == value,
            "!=": have != value,
            "=~": re.fullmatch(value, have) is not None,
            "!~": re.fullmatch(value, have) is None,
        }[op]
        if not ok:
            return False
    return True


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_inhibit_rule_compares_labels_its_alerts_carry(name: str) -> None:
    config = yaml.safe_load(CONFIGS[name])
    for rule in config.get("inhibit_rules") or []:
        assert not {"source_match", "source_match_re", "target_match", "target_match_re"} & set(
            rule
        ), f"{name}: use source_matchers/target_matchers"
        sources = [a for a in ALERTS if matches(rule.get("source_matchers", []), a)]
        targets = [a for a in ALERTS if matches(rule.get("target_matchers", []), a)]
        assert sources and targets, f"{name}: an inhibit rule that matches no alert: {rule}"
        for label in rule.get("equal", []):
            lacking = [a["alertname"] for a in sources + targets if label not in a]
            assert not lacking, f"{name}: {lacking} carry no {label!r}, so {rule} never inhibits"


def test_the_deployed_config_inhibits_nothing() -> None:
    """No warning is about one container, so no page should mute one (the old rule could
    not: it compared ``container``, which no warning carries)."""
    assert not yaml.safe_load(CONFIGS["deploy/alertmanager/alertmanager.yml"]).get("inhibit_rules")


def test_every_alert_routes_somewhere_by_its_severity() -> None:
    assert {a["severity"] for a in ALERTS} == {"page", "warning"}
    names = {a["alertname"] for a in ALERTS}
    assert {
        "ColdChainException",
        "ColdChainExceptionSeenClosed",
        "DailyServiceAtRisk",
        "TrainOverdue",
    } <= names


# -- amtool ---------------------------------------------------------------------------------

AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="amtool is not installed")


def amtool(*args: str) -> str:
    assert AMTOOL is not None
    result = subprocess.run(
        [AMTOOL, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def expected_receivers(alert: Labels) -> str:
    if alert["severity"] == "warning":
        return "operations"
    if alert.get("kind") in TECHNICIANS:
        return "reefer-technicians,oncall"
    return "oncall"


@pytest.fixture(params=sorted(CONFIGS))
def config_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "alertmanager.yml"
    path.write_text(CONFIGS[request.param], encoding="utf-8")
    return request.param, path


@needs_amtool
def test_amtool_accepts_every_config(config_file: tuple[str, Path]) -> None:
    _, path = config_file
    assert "SUCCESS" in amtool("check-config", str(path))


@needs_amtool
@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: f"{a['alertname']}-{a.get('kind', '')}")
def test_amtool_routes_each_alert_lugang_sends(alert: Labels) -> None:
    labels = [f'{key}="{value}"' for key, value in alert.items()]
    deployed = amtool("config", "routes", "test", f"--config.file={DEPLOYED}", *labels)
    assert deployed.splitlines()[-1] == expected_receivers(alert)
