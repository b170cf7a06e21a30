"""Where a page sends on-call: the Grafana dashboard that shows what it is about, and the
runbook that says what to do.

One home for the dashboard uids, the cold-chain dashboard's container variable and the URL
patterns, used by the worker's alerts (``generatorURL`` and the ``runbook_url``
annotation) and by the dashboards' data links, so a link and the dashboard it opens cannot
drift apart.

This module imports nothing of Lugang's at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from lugang.settings import Settings

OVERVIEW_UID: Final = "lugang-overview"
COLDCHAIN_UID: Final = "lugang-coldchain"
CONTAINER_VARIABLE: Final = "container"
"""The cold-chain dashboard's variable that picks the containers shown."""

RUNBOOKS: Final = "docs/runbooks/"
"""Where the runbooks are in this repository, one ``<NAME>.md`` per exception kind or alert
name: the default base of ``runbook_url`` (a path on-call finds in the repository; set
``LUGANG_RUNBOOK_URL`` to a browsable copy to make it a link)."""

MARGIN: Final = timedelta(hours=2)
"""A page's dashboard link shows this much before the exception started and after it
ended (or up to now while it is open)."""
ROW_WINDOW: Final = timedelta(hours=8)
"""A table row's data link shows this long a range centred on the exception's start (a
data link cannot subtract from a time, so Grafana centres the range: 4 h either side)."""


def _milliseconds(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def dashboard_path(uid: str, params: Mapping[str, str] | None = None) -> str:
    """``/d/<uid>?name=value&…``: where Grafana serves dashboard ``uid``, relative to its root
    URL (data links take it as it is: Grafana adds its sub-path). Values are URL-encoded,
    except Grafana's ``${…}`` templates, which Grafana fills in when the link is clicked."""
    path = f"/d/{quote(uid)}"
    if not params:
        return path
    query = "&".join(f"{quote(k, safe='.')}={quote(v, safe='${}.')}" for k, v in params.items())
    return f"{path}?{query}"


def container_params(container: str) -> dict[str, str]:
    """The query parameter that sets the cold-chain dashboard's container variable."""
    return {f"var-{CONTAINER_VARIABLE}": container}


def centred_range(time: str, window: timedelta) -> dict[str, str]:
    """Query parameters of a range ``window`` long centred on ``time`` (epoch ms, or a
    Grafana template that gives it, such as ``${__value.time}``)."""
    return {"time": time, "time.window": str(int(window / timedelta(milliseconds=1)))}


def without_credentials(url: str) -> str:
    """``url`` without a ``user:password@`` part (``LUGANG_GRAFANA_URL`` may log in with one:
    a page must never carry it)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class Links:
    """The links of a deployment: ``grafana_url`` as on-call's browsers reach Grafana, and
    ``runbook_url``, the base each runbook's ``<NAME>.md`` is appended to."""

    grafana_url: str = "http://127.0.0.1:3000"
    runbook_url: str = RUNBOOKS

    @classmethod
    def of(cls, settings: Settings) -> Links:
        """The links ``settings`` configure: ``LUGANG_GRAFANA_PUBLIC_URL``, else
        ``LUGANG_GRAFANA_URL`` without its credentials; ``LUGANG_RUNBOOK_URL``."""
        grafana = settings.grafana_public_url or settings.grafana_url
        return cls(without_credentials(grafana), settings.runbook_url)

    def dashboard(self, uid: str, params: Mapping[str, str] | None = None) -> str:
        """The absolute URL of dashboard ``uid`` with ``params``."""
        return self.grafana_url.rstrip("/") + dashboard_path(uid, params)

    def coldchain(self, container: str, started_at: datetime, ended_at: datetime | None) -> str:
        """The cold-chain dashboard for ``container`` from :data:`MARGIN` before
        ``started_at`` to :data:`MARGIN` after ``ended_at`` (to now while it is open)."""
        until = "now" if ended_at is None else _milliseconds(ended_at + MARGIN)
        window = {"from": _milliseconds(started_at - MARGIN), "to": until}
        return self.dashboard(COLDCHAIN_UID, {**container_params(container), **window})

    def runbook(self, name: str) -> str:
        """The runbook of ``name`` (an exception kind such as ``HIGH``, or an alert name such
        as ``DailyServiceAtRisk``): ``<runbook_url>/<name>.md``."""
        return f"{self.runbook_url.rstrip('/')}/{name}.md"
