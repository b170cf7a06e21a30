"""Where a benchmark sends: the broker in LUGANG_KAFKA_BOOTSTRAP, or a Kafka it starts."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import local_server


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    """Yield a Kafka bootstrap address; start (and stop) a local broker if none is named."""
    named = os.environ.get("LUGANG_KAFKA_BOOTSTRAP")
    if named:
        yield named
        return
    with (
        tempfile.TemporaryDirectory(prefix="lugang-bench-") as work,
        local_server("kafka", Path(work), {"LUGANG_KAFKA_HEAP": "1g"}) as bootstrap,
    ):
        yield bootstrap
