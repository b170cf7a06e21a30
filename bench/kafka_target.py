"""Where a benchmark sends: the broker in LUGANG_KAFKA_BOOTSTRAP, or a Kafka it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCAL = Path(__file__).resolve().parents[1] / "deploy" / "local"


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    """Yield a Kafka bootstrap address; start (and stop) a local broker if none is named."""
    named = os.environ.get("LUGANG_KAFKA_BOOTSTRAP")
    if named:
        yield named
        return
    with tempfile.TemporaryDirectory(prefix="lugang-bench-") as work:
        env = {**os.environ, "LUGANG_WORK": work, "LUGANG_KAFKA_HEAP": "1g"}
        started = subprocess.run(
            ["bash", str(LOCAL / "start-kafka.sh")], env=env, capture_output=True, text=True
        )
        if started.returncode != 0:
            sys.exit(f"could not start Kafka:\n{started.stderr}")
        try:
            yield started.stdout.strip().split("=", 1)[1]
        finally:
            subprocess.run(["bash", str(LOCAL / "stop-kafka.sh")], env=env, check=False)
