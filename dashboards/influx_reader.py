"""The one InfluxQL reader: statements over the 1.x ``/query`` HTTP API, parsed.

InfluxDB 1.x serves ``/query``; 2.x and 3.x serve it too for a database/retention policy
mapped to a bucket (DBRP). A token is sent as ``Authorization: Token ...`` (1.x:
``user:password``). Every failure is one :class:`InfluxError` line that says what to do:
:class:`InfluxUnreachable` (no HTTP answer) or :class:`InfluxRefused` (an error status,
an InfluxQL error, or an answer that is not InfluxDB's JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import requests

from lugang.errors import LugangError
from lugang.net import short_reason, unreachable, where

Row = dict[str, Any]
"""One row of a series: its tags and its columns by name."""

TIMEOUT_S: Final = 30.0

Epoch = Literal["ns", "u", "ms", "s", "m", "h"]
"""Precision of times returned as integers (without one: RFC 3339 text)."""


class InfluxError(LugangError):
    """InfluxDB could not be read."""


class InfluxUnreachable(InfluxError):
    """No HTTP answer from InfluxDB: connection refused, unknown host, timeout."""


class InfluxRefused(InfluxError):
    """InfluxDB answered with an error (HTTP or InfluxQL), or not like InfluxDB."""


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a statement's result: measurement, tags, columns and values."""

    name: str
    tags: dict[str, str]
    columns: list[str]
    values: list[list[Any]]

    def rows(self) -> list[Row]:
        """Each value row as tags plus columns by name."""
        return [{**self.tags, **dict(zip(self.columns, v, strict=True))} for v in self.values]


def rows(series: Sequence[Series]) -> list[Row]:
    """The rows of all the series of one statement, in order."""
    return [row for one in series for row in one.rows()]


def _answer(
    url: str,
    method: Literal["GET", "POST"],
    params: dict[str, str],
    token: str | None,
    timeout: float,
) -> tuple[int, Any]:
    """HTTP status and JSON body (None: not JSON) of one ``/query`` request."""
    headers = {"Authorization": f"Token {token}"} if token else {}
    try:
        response = requests.request(
            method, f"{url.rstrip('/')}/query", params=params, headers=headers, timeout=timeout
        )
    except requests.RequestException as exc:
        reason = short_reason(exc, timeout, isinstance(exc, requests.Timeout))
        raise InfluxUnreachable(
            unreachable(
                "InfluxDB", where(url), reason, "start it or set --influx-url or LUGANG_INFLUX_URL"
            )
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body


def _series(result: dict[str, Any]) -> list[Series]:
    return [
        Series(s.get("name", ""), s.get("tags", {}), s["columns"], s["values"])
        for s in result.get("series", [])
    ]


def query(
    url: str,
    database: str | None,
    statements: str | Sequence[str],
    *,
    retention: str | None = None,
    token: str | None = None,
    epoch: Epoch | None = None,
    method: Literal["GET", "POST"] = "GET",
    timeout: float = TIMEOUT_S,
) -> list[list[Series]]:
    """Run InfluxQL statements (one, or several sent in one request) and return, per
    statement, its series. ``epoch``: times as integers of this precision (None: RFC
    3339 text). ``method``: POST for statements that change something (CREATE ...).

    Raises:
        InfluxUnreachable: no answer from ``url``.
        InfluxRefused: an error status or InfluxQL error (unknown database, refused
            token, ...), or an answer that is not InfluxDB's.
    """
    statements = [statements] if isinstance(statements, str) else list(statements)
    params = {"q": ";".join(statements)}
    params |= {"db": database} if database else {}
    params |= {"rp": retention} if retention else {}
    params |= {"epoch": epoch} if epoch else {}
    status, body = _answer(url, method, params, token, timeout)
    if not isinstance(body, dict):
        raise InfluxRefused(
            f"InfluxDB at {where(url)} answered {status} without JSON to an InfluxQL query: "
            "is that InfluxDB's base URL? (set --influx-url or LUGANG_INFLUX_URL)"
        )
    results = sorted(body.get("results", []), key=lambda r: int(r.get("statement_id", 0)))
    errors = [body.get("error")] + [r.get("error") for r in results]
    error = next((e for e in errors if e), None)
    if error or status >= 400 or len(results) != len(statements):
        detail = error or f"{len(results)} results to {len(statements)} statements"
        raise InfluxRefused(
            f"InfluxDB at {where(url)} refused to read database {database!r} "
            f"({status} {detail}): check LUGANG_INFLUX_BUCKET and LUGANG_INFLUX_TOKEN"
        )
    return [_series(result) for result in results]
