"""A ``GrafanaApi`` connected to a Grafana that has answered, and where it is."""

from __future__ import annotations

from typing import Any, TypeAlias
from urllib.parse import urlsplit

from pydantic import SecretStr

from dashboards.grafana.errors import TIMEOUT_S, GrafanaRequestError, grafana_errors
from lugang.net import where

GrafanaApi: TypeAlias = Any
"""A ``grafana_client.GrafanaApi`` (the library has no type annotations)."""


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def api_where(client: GrafanaApi) -> str:
    """The base URL of a client's Grafana, without user and password."""
    url = getattr(client, "url", None)
    if isinstance(url, str):
        return where(url)
    return str(client.client.url).removesuffix("/api")


def connect(url: str, token: SecretStr | str | None, timeout: float = TIMEOUT_S) -> GrafanaApi:
    """A ``GrafanaApi`` for ``url`` that has answered ``GET /api/health`` (see
    :func:`connect_versioned`)."""
    return connect_versioned(url, token, timeout)[0]


def connect_versioned(
    url: str, token: SecretStr | str | None, timeout: float = TIMEOUT_S
) -> tuple[GrafanaApi, str]:
    """A ``GrafanaApi`` for ``url`` that has answered ``GET /api/health``, and the version
    it answered (as ``grafana-client``'s ``api.version`` gives it, without asking again).

    ``token`` is a service-account token (sent as ``Authorization: Bearer``); without one,
    ``user:password@`` in the URL is used (basic auth). ``/api/health`` needs no token: a
    wrong token shows with the first real request, as ``GrafanaAuthError``.

    Raises:
        GrafanaUnreachable: connection refused, unknown host, or no answer in ``timeout``.
        GrafanaRequestError: something answered that is not Grafana.
    """
    from grafana_client.api import GrafanaApi as Api

    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise GrafanaRequestError(
            f"{url!r} is not a Grafana URL: use http://HOST:PORT (set --url or LUGANG_GRAFANA_URL)"
        )
    secret = token.get_secret_value() if isinstance(token, SecretStr) else token
    api = Api.from_url(url, credential=secret or None, timeout=timeout)
    with grafana_errors(url, "report its health"):
        health = api.client.GET("/health")
    if not isinstance(health, dict) or "version" not in health:
        raise GrafanaRequestError(
            f"{where(url)}/api/health did not answer like Grafana: is that Grafana's base URL?"
        )
    return api, str(health["version"]).rsplit("-")[0]
