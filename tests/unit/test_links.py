"""What a page links to (issue 11, on call): the cold-chain dashboard of its container
around its time (``generatorURL``), and a bilingual runbook in the repository for every
exception kind and for 天天班 at risk (``runbook_url``), with the Grafana and runbook base
URLs from the settings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import get_args
from urllib.parse import parse_qs, urlsplit

import pytest

from lugang.contract import ColdChainException, ExceptionKind, exception_id
from lugang.links import (
    COLDCHAIN_UID,
    CONTAINER_VARIABLE,
    MARGIN,
    OVERVIEW_UID,
    RUNBOOKS,
    Links,
    dashboard_path,
    without_credentials,
)
from lugang.reference import default_reference
from lugang.settings import Settings
from streams.agents.memory import MemoryTable
from streams.agents.paging import PagingAgent
from streams.pager import Pager
from streams.schema.alerts import (
    DAILY_SERVICE_ALERT,
    TRAIN_OVERDUE_ALERT,
    daily_service_alert,
    exception_alert,
)
from streams.state import LiveGaps
from tests.fakes import FakeAlertSink, LoopbackOutbox
from tests.unit.test_agents import run

ROOT = Path(__file__).resolve().parents[2]
BOX = "MSKU9070323"
START = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)
PORT = Links(
    "https://grafana.port.example/", "https://git.example.com/lugang/-/blob/main/docs/runbooks"
)
KINDS: tuple[str, ...] = get_args(ExceptionKind)
RUNBOOK_NAMES = (*KINDS, DAILY_SERVICE_ALERT, TRAIN_OVERDUE_ALERT)
CJK = re.compile(r"[\u4e00-\u9fff]")


def exception(kind: str = "HIGH", closed: bool = False) -> ColdChainException:
    return ColdChainException(
        exception_id=exception_id(BOX, kind, START),  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        equipment_reference=BOX,
        commodity="citrus",
        corridor="HHW-QZH",
        started_at=START,
        ended_at=START + timedelta(minutes=45) if closed else None,
        duration_s=2700.0 if closed else None,
        status="CLOSED" if closed else "OPEN",
    )


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_an_open_exception_links_its_container_from_two_hours_before_to_now() -> None:
    alert = exception_alert(exception(), NOW, UTC, links=PORT)
    url = alert.to_json()["generatorURL"]
    assert isinstance(url, str)
    assert url.startswith(f"https://grafana.port.example/d/{COLDCHAIN_UID}?")
    assert query(url) == {
        f"var-{CONTAINER_VARIABLE}": BOX,
        "from": ms(START - MARGIN),
        "to": "now",
    }


def test_a_closed_exception_links_until_two_hours_after_its_end() -> None:
    alert = exception_alert(exception(closed=True), NOW, UTC, links=PORT)
    assert alert.generator_url is not None
    assert query(alert.generator_url)["to"] == ms(START + timedelta(minutes=45) + MARGIN)
    seen_closed = exception_alert(exception(closed=True), NOW, UTC, seen_closed=True, links=PORT)
    assert seen_closed.generator_url == alert.generator_url


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_pages_with_the_runbook_of_its_kind(kind: str) -> None:
    alert = exception_alert(exception(kind), NOW, UTC, links=PORT)
    assert alert.annotations["runbook_url"] == (
        f"https://git.example.com/lugang/-/blob/main/docs/runbooks/{kind}.md"
    )
    default = exception_alert(exception(kind), NOW, UTC)
    assert default.annotations["runbook_url"] == f"docs/runbooks/{kind}.md"
    assert (ROOT / default.annotations["runbook_url"]).is_file()


def test_daily_service_at_risk_links_the_overview_and_its_runbook() -> None:
    for warning in (True, False):  # firing and resolved alike
        alert = daily_service_alert("RAIL_SEA", date(2026, 3, 16), warning, NOW, links=PORT)
        assert alert.generator_url == f"https://grafana.port.example/d/{OVERVIEW_UID}"
        assert alert.annotations["runbook_url"].endswith("/docs/runbooks/DailyServiceAtRisk.md")
        assert CJK.search(alert.annotations["summary"])
        assert CJK.search(alert.annotations["description"])


@pytest.mark.parametrize("name", RUNBOOK_NAMES)
def test_every_runbook_is_in_the_repository_in_english_and_chinese(name: str) -> None:
    text = (ROOT / RUNBOOKS / f"{name}.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {name} ")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == ["What it means / 含义", "What to check / 检查什么", "Whom to call / 联系谁"]
    for section in re.split(r"^## .+$", text, flags=re.MULTILINE)[1:]:
        assert CJK.search(section), f"{name}: a section without Chinese"
        assert re.search(r"[A-Za-z]{4,} [a-z]{2,} [a-z]{2,}", section), f"{name}: no English"


def test_the_runbooks_are_exactly_those_of_the_pages() -> None:
    assert {p.stem for p in (ROOT / RUNBOOKS).glob("*.md")} == set(RUNBOOK_NAMES)


def test_the_paging_agent_posts_the_configured_links() -> None:
    alerts = FakeAlertSink()
    agent = PagingAgent(
        alerts, MemoryTable(), default_reference(), timedelta(minutes=3), lambda: NOW, PORT
    )
    pager = Pager(LoopbackOutbox("pages", agent.handle), LiveGaps())
    run(pager.page([exception("POWER_OFF")]))
    run(pager.page([exception("POWER_OFF", closed=True)]))
    opened, closed = alerts.fired
    assert opened.annotations["runbook_url"] == closed.annotations["runbook_url"]
    assert opened.annotations["runbook_url"].endswith("/POWER_OFF.md")
    assert opened.generator_url is not None and closed.generator_url is not None
    assert opened.generator_url.startswith("https://grafana.port.example/d/")
    assert query(opened.generator_url)["to"] == "now"
    assert query(closed.generator_url)["to"] != "now"


def test_settings_give_a_grafana_url_without_credentials_and_the_runbook_base() -> None:
    default = Links.of(Settings())
    assert default == Links("http://127.0.0.1:3000", "docs/runbooks/")
    logged_in = Settings(grafana_url="http://admin:secret@grafana:3000/")
    assert Links.of(logged_in).grafana_url == "http://grafana:3000/"
    public = Settings(
        grafana_url="http://admin:secret@grafana:3000",
        grafana_public_url="https://grafana.port.example",
        runbook_url="https://wiki.example/runbooks/",
    )
    assert Links.of(public) == Links(
        "https://grafana.port.example", "https://wiki.example/runbooks/"
    )
    assert Links.of(public).runbook("LOW") == "https://wiki.example/runbooks/LOW.md"


@pytest.mark.parametrize(
    ("url", "bare"),
    [
        ("http://u:p@h:3000/sub/", "http://h:3000/sub/"),
        ("https://u@h", "https://h"),
        ("http://u:p@[::1]:3000", "http://[::1]:3000"),
        ("http://h:3000", "http://h:3000"),
    ],
)
def test_credentials_are_removed(url: str, bare: str) -> None:
    assert without_credentials(url) == bare


def test_dashboard_paths_keep_grafana_templates_and_encode_values() -> None:
    assert dashboard_path(COLDCHAIN_UID) == f"/d/{COLDCHAIN_UID}"
    path = dashboard_path("x", {"var-container": "${__value.raw}", "q": "a b&c"})
    assert path == "/d/x?var-container=${__value.raw}&q=a%20b%26c"
