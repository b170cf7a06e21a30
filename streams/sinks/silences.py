"""Alertmanager's silences (``/api/v2/silences``): create, list and expire, one request each.

The client of ``lugang ack`` (:mod:`streams.schema.silences` says what an acknowledgement's
silence is). One try per call, with a timeout, no retries: a person is waiting at the
terminal. Every failure is one :class:`SilencesError` line that names Alertmanager's URL:
:class:`AlertmanagerUnreachable` (no HTTP answer) or :class:`AlertmanagerRefused` (an error
status, or an answer that is not Alertmanager's JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, Protocol
from urllib.parse import quote

import requests

from lugang.errors import LugangError
from lugang.net import short_reason, unreachable, where

TIMEOUT_S: Final = 10.0


class SilencesError(LugangError):
    """Alertmanager could not create, list or expire a silence."""


class AlertmanagerUnreachable(SilencesError):
    """No HTTP answer from Alertmanager: connection refused, unknown host, timeout."""


class AlertmanagerRefused(SilencesError):
    """Alertmanager answered with an error, or not like Alertmanager."""


class Silences(Protocol):
    """Alertmanager's silences, as ``lugang ack`` uses them (tests pass a fake)."""

    url: str

    def create(self, body: Mapping[str, Any]) -> str:
        """Create the silence ``body`` (``POST /api/v2/silences``); its id."""
        ...

    def all(self) -> list[dict[str, Any]]:
        """Every silence Alertmanager keeps, expired ones included (``GET``)."""
        ...

    def expire(self, silence_id: str) -> None:
        """End the silence now (``DELETE /api/v2/silence/{id}``)."""
        ...


class AlertmanagerSilences:
    """:class:`Silences` over Alertmanager's v2 API at ``url`` (its base URL)."""

    def __init__(self, url: str, fix: str, timeout: float = TIMEOUT_S) -> None:
        """``fix``: what to do when it cannot be reached, e.g. ``start it or set
        --alertmanager-url or LUGANG_ALERTMANAGER_URL``."""
        self.url = url.rstrip("/")
        self._fix = fix
        self._timeout = timeout

    def create(self, body: Mapping[str, Any]) -> str:
        answer = self._request("POST", "/api/v2/silences", "create a silence", dict(body))
        if not isinstance(answer, dict) or not isinstance(answer.get("silenceID"), str):
            raise self._not_alertmanager("/api/v2/silences")
        silence_id: str = answer["silenceID"]
        return silence_id

    def all(self) -> list[dict[str, Any]]:
        answer = self._request("GET", "/api/v2/silences", "list the silences")
        if not isinstance(answer, list) or not all(isinstance(s, dict) for s in answer):
            raise self._not_alertmanager("/api/v2/silences")
        return answer

    def expire(self, silence_id: str) -> None:
        path = f"/api/v2/silence/{quote(silence_id, safe='')}"
        self._request("DELETE", path, f"expire silence {silence_id}")

    def _request(
        self,
        method: Literal["GET", "POST", "DELETE"],
        path: str,
        what: str,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """The JSON answer of one request (None when it has no body)."""
        try:
            response = requests.request(
                method, f"{self.url}{path}", json=body, timeout=self._timeout
            )
        except requests.RequestException as exc:
            reason = short_reason(exc, self._timeout, isinstance(exc, requests.Timeout))
            raise AlertmanagerUnreachable(
                unreachable("Alertmanager", where(self.url), reason, self._fix)
            ) from None
        if response.status_code >= 300:
            text = " ".join(response.text.split())[:200] or "no reason given"
            raise AlertmanagerRefused(
                f"Alertmanager at {where(self.url)} refused to {what}: "
                f"HTTP {response.status_code}: {text}"
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._not_alertmanager(path) from None

    def _not_alertmanager(self, path: str) -> AlertmanagerRefused:
        return AlertmanagerRefused(
            f"{where(self.url)}{path} did not answer like Alertmanager's v2 API: "
            "is it Alertmanager's base URL (e.g. http://127.0.0.1:9093)?"
        )
