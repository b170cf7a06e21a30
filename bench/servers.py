"""Local servers for benchmarks: deploy/local's start scripts, and their stop scripts at the end."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "deploy" / "local"


@contextmanager
def local_server(name: str, work: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start server ``name`` (``kafka``, ``influxdb``, ``alertmanager``) with its data
    under ``work``, yield the address its start script prints, and stop it on exit.

    Raises:
        SystemExit: the server could not start (the script's message says why).
    """
    script_env = {**os.environ, "LUGANG_WORK": str(work), **(env or {})}
    started = subprocess.run(
        ["bash", str(LOCAL / f"start-{name}.sh")],
        env=script_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        raise SystemExit(f"could not start {name}:\n{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1].split("=", 1)[1]
    finally:
        subprocess.run(["bash", str(LOCAL / f"stop-{name}.sh")], env=script_env, check=False)
