"""Every InfluxQL query of the generated dashboards and alert rules, with where it runs
and the time range it runs over, and the names each query reads.

The tests use it to check the queries against the schema the stream writes
(``streams.schema.points``, ``streams.schema.health``) and to run every one of them on InfluxDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_FROM = re.compile(r'\bFROM "([^"]+)"')
_ALIAS = re.compile(r'\bAS "([^"]+)"')
_QUOTED = re.compile(r'"([^"]+)"')


@dataclass(frozen=True, slots=True)
class PanelQuery:
    """One query of a dashboard (a panel target, an annotation or a variable) or of an
    alert rule. ``time_from``/``time_to`` are Grafana relative times (``now/d``,
    ``now-30d``) of the range it runs over; ``time_shift`` moves that range back."""

    where: str
    title: str
    text: str
    time_from: str
    time_to: str
    time_shift: str | None = None


def dashboard_queries(board: Mapping[str, Any]) -> Iterator[PanelQuery]:
    """Every query of a dashboard's JSON, with its panel's own time range if it has one."""
    uid = board["uid"]
    start, end = board["time"]["from"], board["time"]["to"]
    for panel in board.get("panels", []):
        time_from = panel.get("timeFrom")
        for target in panel.get("targets", []):
            yield PanelQuery(
                f"{uid} panel {panel['id']}",
                panel["title"],
                target["query"],
                time_from or start,
                "now" if time_from else end,
                panel.get("timeShift"),
            )
    for annotation in board.get("annotations", {}).get("list", []):
        yield PanelQuery(
            f"{uid} annotation", annotation["name"], annotation["target"]["query"], start, end
        )
    for variable in board.get("templating", {}).get("list", []):
        yield PanelQuery(f"{uid} variable", variable["name"], variable["query"], start, end)


def rule_queries(rule_groups: Mapping[str, Any]) -> Iterator[PanelQuery]:
    """The data-source queries of provisioned alert rules, over their relative ranges."""
    for group in rule_groups["groups"]:
        for rule in group["rules"]:
            for data in rule["data"]:
                window = data.get("relativeTimeRange")
                if window is not None:
                    yield PanelQuery(
                        f"rule {rule['uid']}",
                        rule["title"],
                        data["model"]["query"],
                        f"now-{window['from']}s",
                        f"now-{window['to']}s",
                    )


def measurement(query: str) -> str:
    """The measurement a query reads (its one ``FROM``)."""
    found = _FROM.findall(query)
    if len(found) != 1:
        raise ValueError(f"expected one FROM in: {query}")
    return str(found[0])


def names_read(query: str) -> set[str]:
    """The fields and tags a query names: its double-quoted identifiers, less the
    measurement and the ``AS`` aliases of its results."""
    return set(_QUOTED.findall(query)) - {measurement(query)} - set(_ALIAS.findall(query))
