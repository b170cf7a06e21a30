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
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
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


def start_script(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """Run ``deploy/local/start-NAME.sh`` and return the ``VAR=value`` lines it printed
    (e.g. ``LUGANG_KAFKA_BOOTSTRAP``); fail the test with its output if it fails."""
    result = subprocess.run(
        ["bash", str(LOCAL / f"start-{name}.sh")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"start-{name}.sh failed (exit {result.returncode}):\n{result.stderr}", pytrace=False
        )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


@contextmanager
def own_server(name: str, work: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """A server ``name`` of the caller's own (its own ``LUGANG_WORK``, ports and data),
    started by ``deploy/local/start-NAME.sh`` and stopped by ``stop-NAME.sh`` at the end;
    yields the address the script printed."""
    script_env = {"LUGANG_WORK": str(work), **(env or {})}
    values = start_script(name, script_env)
    try:
        yield next(iter(values.values()))
    finally:
        run_script(f"stop-{name}", script_env)


class Relaunchable:
    """A server process that a start script launched, taken as it runs (command line,
    environment, working folder), so that it can be started again exactly so after it was
    killed or stopped: same ports, same config, same data. The start scripts cannot do
    that for Kafka (start-kafka.sh formats new storage) or Alertmanager
    (start-alertmanager.sh wipes its data folder, the notification log with it, so a
    restarted Alertmanager would notify every alert again)."""

    def __init__(self, pidfile: Path, log: Path) -> None:
        self.pidfile = pidfile
        self.log = log
        pid = int(pidfile.read_text().strip())
        proc = Path(f"/proc/{pid}")
        self.argv = [a.decode() for a in (proc / "cmdline").read_bytes().split(b"\0") if a]
        environ = (proc / "environ").read_bytes().split(b"\0")
        self.env = dict(e.decode().split("=", 1) for e in environ if b"=" in e)
        self.cwd = os.readlink(proc / "cwd")
        self._children: list[subprocess.Popen[bytes]] = []

    @property
    def pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def running(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        state = Path(f"/proc/{self.pid}/stat")
        return state.exists() and state.read_text().split(")")[-1].split()[0] != "Z"

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        """Send ``sig`` and wait until the process is gone."""
        with suppress(ProcessLookupError):
            os.kill(self.pid, sig)
        deadline = time.monotonic() + timeout
        while self.running():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.argv[0]} (pid {self.pid}) still runs after {sig}")
            time.sleep(0.1)

    def relaunch(self) -> None:
        """Start the process again as it was started (output appended to its log)."""
        with self.log.open("ab") as log:
            child = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Reap it when it exits, so that stop_pidfile never waits on a zombie.
        threading.Thread(target=child.wait, daemon=True).start()
        self._children.append(child)
        self.pidfile.write_text(f"{child.pid}\n")
