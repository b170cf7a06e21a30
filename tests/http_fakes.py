"""``requests`` answered in process, for the unit tier's HTTP clients (the InfluxDB reader,
Alertmanager's silences): an :class:`Answer` and :func:`answering`, which puts it in place
of ``requests.request``."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests


class Answer:
    """What ``requests`` returns, as far as the clients look: ``body`` is the JSON (None:
    none; an exception: raised by ``json()``)."""

    def __init__(self, status_code: int, body: Any = None) -> None:
        self.status_code = status_code
        shown = body is None or isinstance(body, Exception)
        self.content = b"" if shown else json.dumps(body).encode()
        self.text = self.content.decode()
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, Exception):
            raise self._body
        if self._body is None:
            raise ValueError("no JSON")
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(str(self.status_code))


def answering(monkeypatch: pytest.MonkeyPatch, answer: Answer | Exception) -> list[Any]:
    """Make ``requests.request`` answer ``answer`` (or raise it); the calls it got."""
    calls: list[Any] = []

    def request(method: str, url: str, **options: Any) -> Answer:
        calls.append((method, url, options))
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(requests, "request", request)
    return calls
