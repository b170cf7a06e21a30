"""A stand-in for Grafana's HTTP API that replays a recorded exchange (a "cassette").

Grafana cannot run on this machine, so the ``lugang grafana`` tests talk to this server
instead of a live Grafana. A cassette (``tests/data/grafana/*.json``) lists, in order, the
requests Lugang must send and what Grafana answers each one. The answers were transcribed
from Grafana's HTTP API documentation (``docs/sources/developers/http_api/`` in
grafana/grafana: health, folder, dashboard) and from Grafana's error bodies;
they were not captured from a running Grafana.

The server listens on loopback and checks every request against the next one of the
cassette: method, path, query parameters, JSON body, and the headers the cassette names
(``Authorization``). A request that matches gets the recorded status and body; any other
request gets ``404 {"message": "not in the recorded exchange"}`` and is reported by
:meth:`GrafanaReplay.assert_played`, which also fails when recorded requests never came.

Cassette format::

    {"about": "...", "source": "...",
     "interactions": [
       {"request": {"method": "POST", "path": "/api/folders", "query": {},
                    "headers": {"Authorization": "Bearer TOKEN"}, "body": {...}},
        "response": {"status": 200, "body": {...}}}]}
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

CASSETTES = Path(__file__).parent / "data" / "grafana"


@dataclass(frozen=True)
class Received:
    """A request as the replay server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any


def load_cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of ``tests/data/grafana/NAME.json``."""
    cassette = json.loads((CASSETTES / f"{name}.json").read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = cassette["interactions"]
    return interactions


class GrafanaReplay:
    """Serve a cassette on ``127.0.0.1`` (a free port) until :meth:`close`."""

    def __init__(self, interactions: list[dict[str, Any]]) -> None:
        self.interactions = interactions
        self.received: list[Received] = []
        self.mismatches: list[str] = []
        self._next = 0
        self._lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                request = Received(
                    self.command,
                    url.path,
                    parse_qs(url.query, keep_blank_values=True),
                    {name.lower(): value for name, value in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                status, body = replay._respond(request)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _respond(self, request: Received) -> tuple[int, Any]:
        with self._lock:
            self.received.append(request)
            if self._next >= len(self.interactions):
                self.mismatches.append(f"unexpected {request.method} {request.path}: no more")
                return 404, {"message": "not in the recorded exchange"}
            expected = self.interactions[self._next]["request"]
            problems = _differences(expected, request)
            if problems:
                self.mismatches.append(
                    f"request {self._next + 1} {request.method} {request.path}: "
                    + "; ".join(problems)
                )
                return 404, {"message": "not in the recorded exchange"}
            response = self.interactions[self._next]["response"]
            self._next += 1
            return int(response["status"]), response.get("body")

    def assert_played(self) -> None:
        """Every request matched the cassette, and every recorded request came."""
        assert not self.mismatches, "requests outside the recorded exchange:\n" + "\n".join(
            self.mismatches
        )
        missing = [
            f"{i['request']['method']} {i['request']['path']}"
            for i in self.interactions[self._next :]
        ]
        assert not missing, f"recorded requests that never came: {missing}"

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> GrafanaReplay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _differences(expected: dict[str, Any], got: Received) -> list[str]:
    problems = []
    if got.method != expected["method"] or got.path != expected["path"]:
        problems.append(f"expected {expected['method']} {expected['path']}")
    if got.query != expected.get("query", {}):
        problems.append(f"query {got.query} != recorded {expected.get('query', {})}")
    for name, value in expected.get("headers", {}).items():
        if got.headers.get(name.lower()) != value:
            problems.append(
                f"header {name}: {got.headers.get(name.lower())!r} != recorded {value!r}"
            )
    if got.body != expected.get("body"):
        problems.append(_first_difference("body", got.body, expected.get("body")))
    return problems


def _first_difference(where: str, got: Any, recorded: Any) -> str:
    """Where two JSON values first differ, e.g. ``body.overwrite: False != recorded True``."""
    if isinstance(got, dict) and isinstance(recorded, dict):
        for key in sorted(set(got) | set(recorded), key=str):
            if got.get(key, ...) != recorded.get(key, ...):
                return _first_difference(f"{where}.{key}", got.get(key), recorded.get(key))
    if isinstance(got, list) and isinstance(recorded, list) and len(got) == len(recorded):
        for index, (one, other) in enumerate(zip(got, recorded, strict=True)):
            if one != other:
                return _first_difference(f"{where}[{index}]", one, other)
    shown = json.dumps(got, ensure_ascii=False)
    return f"{where}: {shown[:300]} != recorded {json.dumps(recorded, ensure_ascii=False)[:300]}"
