"""An alert posted to Alertmanager reaches the webhook receiver, and so does its resolution;
a worker's page arrives with its dashboard and runbook links."""

from __future__ import annotations

import queue
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from lugang.contract import ColdChainException, exception_id
from lugang.links import Links
from streams.schema.alerts import exception_alert
from tests.integration.servers import WebhookReceiver


def next_notification(receiver: WebhookReceiver, exception_id: str, status: str) -> dict[str, Any]:
    """The next notification about ``exception_id`` with ``status``; others are skipped."""
    while True:
        try:
            body = receiver.notifications.get(timeout=30)
        except queue.Empty:
            raise AssertionError(f"no {status} notification for {exception_id} in 30 s") from None
        alerts = [a for a in body["alerts"] if a["labels"].get("exception_id") == exception_id]
        if alerts and alerts[0]["status"] == status:
            alert: dict[str, Any] = alerts[0]
            return alert


def post_alert(alertmanager_url: str, labels: dict[str, str], ends_at: datetime | None) -> None:
    alert: dict[str, Any] = {"labels": labels, "annotations": {"summary": "test excursion"}}
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    response = requests.post(f"{alertmanager_url}/api/v2/alerts", json=[alert], timeout=10)
    response.raise_for_status()


def test_alert_fires_and_resolves_at_the_webhook(
    alertmanager_url: str, webhook: WebhookReceiver, unique_name: Callable[[str], str]
) -> None:
    labels = {"alertname": "ReeferExcursion", "exception_id": unique_name("exc"), "kind": "HIGH"}

    post_alert(alertmanager_url, labels, ends_at=None)
    firing = next_notification(webhook, labels["exception_id"], "firing")
    assert firing["labels"]["kind"] == "HIGH"

    post_alert(alertmanager_url, labels, ends_at=datetime.now(UTC) - timedelta(seconds=1))
    next_notification(webhook, labels["exception_id"], "resolved")


def test_a_page_reaches_the_webhook_with_its_dashboard_and_runbook_links(
    alertmanager_url: str, webhook: WebhookReceiver, unique_name: Callable[[str], str]
) -> None:
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    exc = ColdChainException(
        exception_id=exception_id("MSKU9070323", "POWER_OFF", started),
        kind="POWER_OFF",
        equipment_reference="MSKU9070323",
        commodity="citrus",
        corridor="HHW-QZH",
        started_at=started,
        status="OPEN",
    )
    links = Links("https://grafana.port.example", "https://git.example.com/lugang/runbooks")
    alert = exception_alert(exc, datetime.now(UTC), UTC, links=links)
    page = alert.to_json()
    page["labels"] = {**alert.labels, "lugang": unique_name("app")}
    response = requests.post(f"{alertmanager_url}/api/v2/alerts", json=[page], timeout=10)
    response.raise_for_status()

    firing = next_notification(webhook, exc.exception_id, "firing")
    assert firing["generatorURL"] == alert.generator_url
    assert firing["generatorURL"].startswith("https://grafana.port.example/d/lugang-coldchain?")
    runbook = "https://git.example.com/lugang/runbooks/POWER_OFF.md"
    assert firing["annotations"]["runbook_url"] == runbook
