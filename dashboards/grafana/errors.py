"""Every failure of ``lugang grafana`` as one :class:`GrafanaError` line that says what to do:
:class:`GrafanaUnreachable` (connection refused, unknown host, timeout),
:class:`GrafanaAuthError` (HTTP 401/403: the token), :class:`GrafanaRequestError` (any other
refusal) and :class:`DashboardFileError`.

grafana-client wraps timeouts and HTTP errors in its own exceptions, but lets niquests'
connection errors and JSON decoding errors through, so :func:`grafana_errors` catches
those as niquests' (``niquests`` is a declared dependency for that reason).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import niquests

from lugang.errors import LugangError
from lugang.net import short_reason, unreachable, where

TIMEOUT_S: Final = 10.0


class GrafanaError(LugangError):
    """A failure of ``lugang grafana`` that the user can act on. The message is one line
    (whitespace, newlines included, is collapsed) and says what to do."""


class GrafanaUnreachable(GrafanaError):
    """No HTTP answer from Grafana: connection refused, unknown host, timeout."""


class GrafanaAuthError(GrafanaError):
    """Grafana answered 401 (no or a wrong token) or 403 (a token whose role may not)."""


class GrafanaRequestError(GrafanaError):
    """Grafana refused a request for another reason, failed (5xx), or is not Grafana."""


class DashboardFileError(GrafanaError):
    """A local dashboard folder or file that cannot be pushed."""


def _reason(exc: BaseException) -> str:
    """The short cause of a failed connection: refused, unknown host, timeout, or the last
    part of the message."""
    return short_reason(exc, TIMEOUT_S, isinstance(exc, niquests.exceptions.Timeout))


def _grafana_message(response: Any) -> str:
    """What Grafana said in an error body (``{"message": ...}``), shortened."""
    if isinstance(response, dict) and isinstance(response.get("message"), str):
        return str(response["message"])
    return str(response or "")[:200]


def _client_error(exc: Any, url: str, doing: str) -> GrafanaError:
    """The error of a 4xx answer other than 401."""
    message = _grafana_message(exc.response)
    if exc.status_code == 403:
        return GrafanaAuthError(
            f"Grafana at {url} refused the token (403 {message}) when asked to {doing}: "
            "its service account needs the Editor role (LUGANG_GRAFANA_TOKEN or --token)"
        )
    if exc.status_code == 404:
        return GrafanaRequestError(
            f"{url} answered 404 when asked to {doing}: is that Grafana's base URL? "
            "(set --url or LUGANG_GRAFANA_URL, e.g. http://127.0.0.1:3000)"
        )
    return GrafanaRequestError(f"Grafana at {url} refused to {doing} ({exc.status_code} {message})")


def _unreachable(url: str, reason: str) -> GrafanaUnreachable:
    return GrafanaUnreachable(
        unreachable("Grafana", url, reason, "start it or set --url or LUGANG_GRAFANA_URL")
    )


@contextmanager
def grafana_errors(url: str, doing: str) -> Iterator[None]:
    """Turn what ``grafana-client`` (and niquests beneath it) raises while ``doing`` into
    one :class:`GrafanaError` line: unreachable, token refused, or request refused."""
    from grafana_client.client import (
        GrafanaClientError,
        GrafanaException,
        GrafanaServerError,
        GrafanaTimeoutError,
        GrafanaUnauthorizedError,
    )

    shown = where(url)
    try:
        yield
    except GrafanaTimeoutError:
        raise _unreachable(shown, f"no answer within {TIMEOUT_S:g} s") from None
    except GrafanaUnauthorizedError as exc:
        raise GrafanaAuthError(
            f"Grafana at {shown} refused the token (401 {_grafana_message(exc.response)}) "
            f"when asked to {doing}: check LUGANG_GRAFANA_TOKEN or --token (a service-account "
            "token of this Grafana, role Editor)"
        ) from None
    except GrafanaClientError as exc:
        raise _client_error(exc, shown, doing) from None
    except GrafanaServerError as exc:
        raise GrafanaRequestError(
            f"Grafana at {shown} failed to {doing} ({exc.status_code} "
            f"{_grafana_message(exc.response)}); see Grafana's log"
        ) from None
    except GrafanaException as exc:  # grafana-client's wrapper of other HTTP failures
        raise _unreachable(shown, _reason(exc)) from None
    except niquests.exceptions.JSONDecodeError:  # before RequestException: it is one
        raise GrafanaRequestError(
            f"{shown} did not answer JSON when asked to {doing}: is that Grafana's base URL?"
        ) from None
    except niquests.exceptions.RequestException as exc:
        raise _unreachable(shown, _reason(exc)) from None
