"""Before a push: the data sources the dashboards query must be in that Grafana.

A dashboard whose data source is missing still saves, and then every panel of it says
"Datasource lugang-influxdb was not found". So ``lugang grafana push`` first asks Grafana for
each data source uid the dashboards name (``GET /api/datasources/uid/UID``) and stops, in one
line that says what to create, when one is missing or is not what the panels query.

Reading a data source's settings takes ``datasources:read``, which Grafana gives the Admin
role only; a push needs Editor. An Editor's token gets 403 here, and the push goes on
unchecked (:func:`check_datasources` says so): asking for more than a push needs, only to
check, would be worse.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

from dashboards.grafana.connection import GrafanaApi, api_where
from dashboards.grafana.errors import GrafanaError, grafana_errors
from dashboards.influxql import DATABASE, DATASOURCE_TYPE, DATASOURCE_UID

BUILT_IN: Final = frozenset({"grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"})
"""Data sources every Grafana has (annotations, mixed panels); with ``__expr__`` (expressions)
and template variables (``${source}``), never asked for."""
QUERY_LANGUAGE: Final = "InfluxQL"
PROVISIONING_FILE: Final = "dashboards/provisioning/datasources/lugang.yaml"


class DataSourceMissing(GrafanaError):
    """A data source the dashboards query is not in Grafana, or is of another kind."""


def _references(node: Any) -> Iterator[str]:
    """Every ``{"datasource": {"uid": ...}}`` uid under ``node`` (panels, targets, template
    variables, annotations)."""
    if isinstance(node, dict):
        source = node.get("datasource")
        if isinstance(source, dict) and isinstance(source.get("uid"), str):
            yield source["uid"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def datasource_uids(dashboards: Sequence[dict[str, Any]]) -> list[str]:
    """The uids of the data sources the dashboards query, sorted: Grafana's built-in ones,
    expressions and template variables (``${source}``) left out."""
    uids = {uid for model in dashboards for uid in _references(model)}
    return sorted(uid for uid in uids if uid not in BUILT_IN and not uid.startswith(("$", "__")))


SPECIFICATION: Final = (
    f"type {DATASOURCE_TYPE}, query language {QUERY_LANGUAGE}, uid {DATASOURCE_UID}, "
    f"database {DATABASE}, a read-only InfluxDB user"
)
"""What the data source of every Lugang panel is (dashboards/provisioning.py provisions it)."""


def _what_to_create(uid: str) -> str:
    if uid == DATASOURCE_UID:
        return f"create it ({SPECIFICATION}), e.g. by provisioning {PROVISIONING_FILE}"
    return "create it, or change the dashboards' data source"


def _not_as_queried(uid: str, answer: Any) -> str | None:
    """Why the data source ``uid`` as Grafana describes it (``answer``) is not the one the
    panels query; None when it is, or when Lugang knows nothing of ``uid``."""
    if uid != DATASOURCE_UID or not isinstance(answer, dict):
        return None
    if answer.get("type") != DATASOURCE_TYPE:
        return f"of type {answer.get('type')!r}, not {DATASOURCE_TYPE}"
    options = answer.get("jsonData")
    language = options.get("version") if isinstance(options, dict) else None
    if language not in (None, "", QUERY_LANGUAGE):  # Grafana's default is InfluxQL
        return f"set to query {language}, not {QUERY_LANGUAGE}"
    return None


def check_datasources(client: GrafanaApi, uids: Iterable[str]) -> bool:
    """Whether each data source of ``uids`` is in Grafana (and, for ``lugang-influxdb``, an
    InfluxDB in InfluxQL mode): True once all are checked; False when the token may not
    read data sources (403: not the Admin role), so none could be.

    Raises:
        DataSourceMissing: one is missing (404) or not what the panels query; the message
            says what to create.
        GrafanaError: any other failure (unreachable, token refused).
    """
    from grafana_client.client import GrafanaClientError

    where = api_where(client)
    for uid in uids:
        with grafana_errors(where, f"describe the data source {uid!r}"):
            try:
                answer = client.datasource.get_datasource_by_uid(uid)
            except GrafanaClientError as exc:
                if exc.status_code == 403:
                    return False
                if exc.status_code != 404:
                    raise
                raise DataSourceMissing(
                    f"Grafana at {where} has no data source with uid {uid!r}, which the "
                    f"dashboards query: {_what_to_create(uid)}, then push again"
                ) from None
        wrong = _not_as_queried(uid, answer)
        if wrong is not None:
            raise DataSourceMissing(
                f"Grafana's data source {uid!r} at {where} is {wrong}: the dashboards query "
                f"it as {SPECIFICATION}; change it, then push again"
            )
    return True
