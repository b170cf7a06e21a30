"""The deploy/local scripts fail loudly, with the server's log tail, when a server cannot start.

(The demo's test is tests/integration/test_demo.py.)"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.integration.servers import LOCAL


def test_a_server_that_cannot_start_fails_with_its_log_tail(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["bash", str(LOCAL / "start-alertmanager.sh")],
            env={**os.environ, "LUGANG_WORK": str(tmp_path), "LUGANG_ALERTMANAGER_PORT": str(port)},
            capture_output=True,
            text=True,
            check=False,
        )

    assert result.returncode == 1
    assert "Alertmanager did not start" in result.stderr
    assert "address already in use" in result.stderr  # from the log tail
    assert "next step: see" in result.stderr
