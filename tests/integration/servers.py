"""Start the project's real servers through deploy/local, or attach to running ones.

Each server is either named by a ``LUGANG_TEST_*`` environment variable (attach: nothing is
started or stopped) or started by its ``deploy/local/start-*.sh`` script and stopped at the
end of the session. A server that cannot start fails the run with the script's message and
log tail: integration tests are never skipped.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

LOCAL = Path(__file__).resolve().parents[2] / "deploy" / "local"

STARTED: list[str] = []
"""What the start scripts reported, for the end-of-run summary (pytest captures the rest)."""


@contextmanager
def local_server(
    name: str, attach_variable: str, work: Path, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Yield the address of server ``name``: the attach variable's value, or a started one."""
    attached = os.environ.get(attach_variable)
    if attached:
        yield attached
        return
    script_env = {**os.environ, "LUGANG_WORK": str(work), **(env or {})}
    result = subprocess.run(
        ["bash", str(LOCAL / f"start-{name}.sh")],
        env=script_env,
        capture_output=True,
        text=True,
        check=False,
    )
    STARTED.extend(line.removeprefix("[lugang] ") for line in result.stderr.splitlines())
    if result.returncode != 0:
        pytest.fail(
            f"{name} could not be started (exit {result.returncode}):\n{result.stderr}",
            pytrace=False,
        )
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    try:
        yield next(iter(values.values()))
    finally:
        subprocess.run(["bash", str(LOCAL / f"stop-{name}.sh")], env=script_env, check=False)


class WebhookReceiver:
    """An HTTP listener that collects the JSON bodies Alertmanager posts to it."""

    def __init__(self, port: int = 0) -> None:
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.put(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


def run_script(name: str, env: Mapping[str, str]) -> None:
    """Run ``deploy/local/NAME.sh``; fail the test with its output if it fails."""
    result = subprocess.run(
        ["bash", str(LOCAL / f"{name}.sh")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{name}.sh failed (exit {result.returncode}):\n{result.stderr}", pytrace=False)
