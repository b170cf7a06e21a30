"""Readiness as clients see it: a worker that is not ready yet answers 503 with a reason,
and ``lugang report`` says so in one line (issue 10, readiness)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from dashboards.report.data import ReportError, read_status
from lugang.settings import Settings
from streams.identity import worker_url
from streams.web import figures_keeper, ready_body


class _NotReady(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(ready_body("recovering its tables from their changelogs")).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def not_ready_worker() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _NotReady)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_ready_body() -> None:
    assert ready_body(None) == {"ready": True}
    assert ready_body("rebalancing") == {"ready": False, "reason": "rebalancing"}


def test_a_report_from_a_worker_not_ready_yet_is_one_clear_line(not_ready_worker: str) -> None:
    with pytest.raises(ReportError) as caught:
        read_status(not_ready_worker, date(2026, 3, 15))
    message = str(caught.value)
    assert "not ready yet (recovering its tables from their changelogs)" in message
    assert "\n" not in message


def test_status_is_answered_by_the_worker_that_reads_the_day_facts() -> None:
    """faust's assignment metadata: worker URL -> topic -> partitions."""
    distribution = {
        "http://a:6066": {"p.trains": [0, 1], "p.day-facts": []},
        "http://b:6066": {"p.trains": [2, 3], "p.day-facts": [0]},
    }
    assert figures_keeper(distribution, "p.day-facts") == "http://b:6066"
    assert figures_keeper({"http://a:6066": {"p.trains": [0]}}, "p.day-facts") is None


def test_a_worker_listening_on_every_interface_is_reached_at_its_host_name() -> None:
    assert worker_url(Settings(web_host="127.0.0.1", web_port=7000)) == "http://127.0.0.1:7000"
    assert worker_url(Settings(web_host="0.0.0.0", web_port=6066)) == (
        f"http://{socket.gethostname()}:6066"
    )
    given = Settings(web_host="0.0.0.0", worker_url="http://worker-2:6066")
    assert worker_url(given) == "http://worker-2:6066"
